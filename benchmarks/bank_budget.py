"""How much of a draw's budget the shipped questions use.

Run:  python benchmarks/bank_budget.py

Draws every shipped question for the 20 seeds of ``xent bank check`` (and 200
more, as quizzes do) and prints, for the costliest questions, their largest
draw and their 20-draw check as a share of the budgets of
:mod:`xentcli.quiz.budget`, with the steps per second of this machine.
"""

from __future__ import annotations

import time

from xentcli.quiz.bank import CHECK_SEEDS, read_banks
from xentcli.quiz.budget import CHECK_STEPS, DRAW_STEPS, Budget


def main() -> None:
    bank, _ = read_banks()
    rows = []
    steps = 0
    start = time.perf_counter()
    for question in bank.questions:
        worst = check = 0
        for seed in range(CHECK_SEEDS + 200):
            budget = Budget(10**12, "draw")
            draw = question._draw(seed, budget=budget)
            question._render_draw(draw, seed, budget=budget)
            worst = max(worst, budget.used)
            check += budget.used if seed < CHECK_SEEDS else 0
            steps += budget.used
        rows.append((worst, check, question.id))
    seconds = time.perf_counter() - start
    rows.sort(reverse=True)
    print(f"{len(rows)} questions, {steps / seconds:,.0f} steps per second")
    print(f"{'question':<32} {'worst draw':>12} {'of budget':>10} {'check':>9} {'of budget':>10}")
    for worst, check, qid in rows[:8]:
        print(f"{qid:<32} {worst:>12,} {worst / DRAW_STEPS:>10.2%} {check:>9,} "
              f"{check / CHECK_STEPS:>10.2%}")
    print(f"budget margin: {DRAW_STEPS / rows[0][0]:.0f}x per draw, "
          f"{CHECK_STEPS / max(r[1] for r in rows):.0f}x per check")


if __name__ == "__main__":
    main()
