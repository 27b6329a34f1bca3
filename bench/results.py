"""Benchmark results and the summary table every benchmark ends with."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Result:
    """One measured target.

    Attributes:
        target: SPEC §6 id and name, e.g. ``P2 fraction of limit used``.
        measured: The measured value.
        goal: The target value.
        higher_is_better: Direction of the comparison.
        unit: Printed after values.
    """

    target: str
    measured: float
    goal: float
    higher_is_better: bool
    unit: str = ""

    @property
    def met(self) -> bool:
        """Whether the measured value meets the goal."""
        return self.measured >= self.goal if self.higher_is_better else self.measured <= self.goal

    @property
    def ratio(self) -> float:
        """measured / goal."""
        return self.measured / self.goal if self.goal else float("inf")


def print_summary(results: list[Result]) -> None:
    """Print one line per target: measured, goal, ratio and verdict."""
    print("\nsummary")
    if not results:
        print("  no benchmarks yet")
    for result in results:
        sign = ">=" if result.higher_is_better else "<="
        verdict = "MET" if result.met else "MISSED"
        print(
            f"  {result.target}: {result.measured:.4g}{result.unit} (target {sign} "
            f"{result.goal:g}{result.unit}, ratio {result.ratio:.2f}) {verdict}"
        )
