"""The emulator's injected faults (issue 15): the faults tests add, in the order added, with how
many matching requests each has seen and answered. The rules of one fault are
domain/injected_faults.py; here is which fault takes a request.

A request is offered to the faults in the order they were added: each one that matches counts it,
and the first that answers it (past its ``after``, within its ``times``) takes it; the others
after that one never see it. All of this runs without awaiting, so concurrent requests are
counted one at a time.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from commprefs.domain.errors import NotFound
from commprefs.domain.injected_faults import FaultSpec, checked


@dataclass
class Fault:
    id: int
    spec: FaultSpec
    seen: int = 0  # matching requests offered to it
    hits: int = 0  # of those, the ones it answered (or delayed)

    @property
    def exhausted(self) -> bool:
        return self.spec.times != 0 and self.hits >= self.spec.times


class FaultService:
    def __init__(self) -> None:
        self._faults: dict[int, Fault] = {}
        self._ids = itertools.count(1)

    def add(self, spec: FaultSpec, operation_ids: frozenset[str]) -> Fault:
        """Add a fault; InvalidInput naming the field when ``spec`` is not one
        (``operation_ids``: those of the served API document)."""
        fault = Fault(next(self._ids), checked(spec, operation_ids))
        self._faults[fault.id] = fault
        return fault

    def list(self) -> list[Fault]:
        return list(self._faults.values())

    def remove(self, fault_id: int) -> None:
        if self._faults.pop(fault_id, None) is None:
            raise NotFound(f"No fault with id {fault_id}.")

    def clear(self) -> None:
        self._faults.clear()

    @property
    def armed(self) -> bool:
        """Whether any fault is there (a request offered to none costs nothing more)."""
        return bool(self._faults)

    def take(self, method: str, path: str, operation_id: str | None) -> Fault | None:
        """The fault that answers this request, if any, with its counts updated."""
        for fault in self._faults.values():
            if fault.exhausted or not fault.spec.matches(method, path, operation_id):
                continue
            answers = fault.spec.answers(fault.seen, fault.hits)
            fault.seen += 1
            if answers:
                fault.hits += 1
                return fault
        return None
