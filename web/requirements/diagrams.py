"""The admin's workflow page: each declared workflow drawn as an SVG laid out on the server (no
script, works offline), its Mermaid text (`Workflow.diagram()`) and its transitions and timers
as tables — all generated from the declaration."""

from collections import deque
from dataclasses import dataclass
from typing import Any

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models import Role
from web.access import role_required
from web.requirements import bp
from workflows.tracking.declaration import Workflow
from workflows.tracking.requirements import WORKFLOWS

BOX_W, BOX_H = 160, 40
GAP_X, GAP_Y = 120, 46
MARGIN = 40
LOOP_DROP = 56  # how far below the boxes an edge that goes back to an earlier column runs
FAN_IN = 4  # a trigger from this many states or more is drawn once, from a "from any of" box
GROUP_W, GROUP_H = 230, 54


@dataclass(frozen=True)
class Box:
    state: str
    x: float
    y: float
    column: int
    is_initial: bool = False
    is_final: bool = False
    width: float = BOX_W
    height: float = BOX_H
    lines: tuple[str, ...] = ()  # a "from any of" box's text

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    @property
    def cy(self) -> float:
        return self.y + self.height / 2

    @property
    def is_group(self) -> bool:
        return bool(self.lines)


@dataclass(frozen=True)
class Edge:
    path: str
    label: str
    label_x: float
    label_y: float
    is_timer: bool


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    boxes: list[Box]
    edges: list[Edge]


def _sources(spec: dict[str, Any]) -> list[str]:
    return spec["source"] if isinstance(spec["source"], list) else [spec["source"]]


def _columns(workflow: Workflow, pairs: list[tuple[str, str]]) -> dict[str, int]:
    """Each state's column: its distance from the initial state (breadth first) over `pairs`;
    states only a "from any of" group reaches are left out."""
    depth = {workflow.initial: 0}
    queue = deque([workflow.initial])
    while queue:
        state = queue.popleft()
        for source, dest in pairs:
            if source == state and dest not in depth:
                depth[dest] = depth[state] + 1
                queue.append(dest)
    return depth


# The workflows' guards (the functions' names are codes), as the transitions table says them.
GUARD_WORDS = {
    "has_assignee": _l("has an assignee"),
    "has_resolution_note": _l("has a resolution note"),
    "within_reopen_window": _l("within the reopen window"),
    "within_cancel_reopen_window": _l("within the reopen window after a cancel"),
    "has_merge_target": _l("names the requirement to merge into"),
}


def _two_lines(workflow: Workflow, states: list[str]) -> tuple[str, ...]:
    names = [workflow.state_label(s) for s in states]
    half = (len(names) + 1) // 2
    # Translators: the first line of a box in the workflow diagram; the list goes on below it.
    first = _("from any of: %(states)s,", states=", ".join(names[:half]))
    return (first, ", ".join(names[half:]))


def layout(workflow: Workflow) -> Layout:
    """Columns by distance from the initial state; each column's states stacked in declared
    order; triggers from many states (cancel, merge, lose) drawn once from a box below."""
    pairs: dict[tuple[str, str], list[str]] = {}
    groups: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for spec in workflow.transitions:
        sources = _sources(spec)
        if len(sources) >= FAN_IN:
            groups.setdefault(tuple(sources), []).append((spec["dest"], spec["trigger"]))
        else:
            for source in sources:
                pairs.setdefault((source, spec["dest"]), []).append(spec["trigger"])
    columns = _columns(workflow, list(pairs))
    boxes = _place(workflow, columns, list(pairs))
    bottom = max(b.y + b.height for b in boxes.values())
    edges = []
    loops = 0  # edges back to an earlier column, each run a little lower below the boxes
    # A transition out of a state drawn only in the "from any of" band (reopening a cancelled
    # requirement) waits until that band is placed.
    later = {k: v for k, v in pairs.items() if k[0] not in boxes or k[1] not in boxes}
    for (source, dest), triggers in pairs.items():
        if (source, dest) in later:
            continue
        a, b = boxes[source], boxes[dest]
        drop = bottom + LOOP_DROP + (loops % 3) * 14
        loops += b.column < a.column
        timer_only = all(t in workflow.timer_triggers for t in triggers)
        words = ", ".join(workflow.trigger_label(t) for t in triggers)
        edges.append(_edge(a, b, words, timer_only, drop))
    below = bottom + (LOOP_DROP + 2 * 14 if loops else 0)
    # The "from any of" boxes, each with its destinations to its right, in a band below.
    band = below + GAP_Y
    group_boxes = []
    for sources, targets in groups.items():
        group = Box(
            "",
            MARGIN + 30,
            band,
            0,
            width=GROUP_W,
            height=GROUP_H,
            lines=_two_lines(workflow, list(sources)),
        )
        group_boxes.append(group)
        placed = 0
        for dest, trigger in targets:
            if dest not in boxes:
                y = band + placed * (BOX_H + GAP_Y / 2)
                boxes[dest] = _state_box(workflow, dest, 1, y, x=group.x + GROUP_W + GAP_X)
                placed += 1
            timer_only = trigger in workflow.timer_triggers
            words = workflow.trigger_label(trigger)
            edges.append(_edge(group, boxes[dest], words, timer_only, 0, forward=True))
        band += max(GROUP_H, placed * (BOX_H + GAP_Y / 2)) + GAP_Y
    for (source, dest), triggers in later.items():
        if source in boxes and dest in boxes:
            timer_only = all(t in workflow.timer_triggers for t in triggers)
            words = ", ".join(workflow.trigger_label(t) for t in triggers)
            edges.append(_edge(boxes[source], boxes[dest], words, timer_only, band))
            band += 14
    right = max(b.x + b.width for b in [*boxes.values(), *group_boxes])
    height = max(band - GAP_Y, below) + MARGIN
    return Layout(right + MARGIN + GAP_X / 2, height, [*group_boxes, *boxes.values()], edges)


def _place(
    workflow: Workflow, columns: dict[str, int], pairs: list[tuple[str, str]]
) -> dict[str, Box]:
    """Column by column, each state as high as the mean height of its predecessors allows
    (so a chain runs straight across), kept one row apart, in declared order on ties."""
    boxes: dict[str, Box] = {}
    for column in range(max(columns.values()) + 1):
        wanted = []
        for order, state in enumerate(s for s in workflow.states if columns.get(s) == column):
            above = [boxes[a].y for a, b in pairs if b == state and a in boxes]
            wanted.append((sum(above) / len(above) if above else MARGIN, order, state))
        y = -float("inf")
        for desired, _order, state in sorted(wanted):
            y = max(desired, y + BOX_H + GAP_Y)
            boxes[state] = _state_box(workflow, state, column, y)
    return boxes


def _state_box(
    workflow: Workflow, state: str, column: int, y: float, x: float | None = None
) -> Box:
    return Box(
        state=state,
        x=MARGIN + 30 + column * (BOX_W + GAP_X) if x is None else x,
        y=y,
        column=column,
        is_initial=state == workflow.initial,
        is_final=state in workflow.final_states,
    )


def _edge(
    a: Box, b: Box, label: str, timer_only: bool, drop: float, *, forward: bool = False
) -> Edge:
    """A cubic curve: forward to the next column's left side, down-and-back below the boxes for
    a return to an earlier column, and a bulge to the right within one column (the further
    apart, the wider)."""
    if forward or b.column > a.column:
        p0, p3 = (a.x + a.width, a.cy), (b.x, b.cy)
        p1, p2 = (p0[0] + GAP_X / 2, p0[1]), (p3[0] - GAP_X / 2, p3[1])
    elif b.column < a.column:
        p0, p3 = (a.x + 14, a.y + a.height), (b.cx + 12, b.y + b.height)
        p1, p2 = (p0[0] - GAP_X / 2, drop), (p3[0], drop)
    else:
        rows = max(abs(b.y - a.y) / (BOX_H + GAP_Y), 1)
        bulge = GAP_X * (0.35 + 0.3 * (rows - 1))
        p0, p3 = (a.x + a.width, a.cy + 6), (b.x + b.width, b.cy - 6)
        p1, p2 = (p0[0] + bulge, p0[1]), (p3[0] + bulge, p3[1])
    mid_x = (p0[0] + 3 * p1[0] + 3 * p2[0] + p3[0]) / 8
    mid_y = (p0[1] + 3 * p1[1] + 3 * p2[1] + p3[1]) / 8
    path = "M {:.0f} {:.0f} C {:.0f} {:.0f}, {:.0f} {:.0f}, {:.0f} {:.0f}".format(
        *p0, *p1, *p2, *p3
    )
    return Edge(path, label, mid_x, mid_y - 4, timer_only)


def transitions_table(workflow: Workflow) -> list[dict[str, Any]]:
    rows = []
    for spec in workflow.transitions:
        guards = [getattr(g, "__name__", str(g)) for g in spec.get("conditions", [])]
        rows.append(
            {
                "trigger": spec["trigger"],
                "sources": _sources(spec),
                "dest": spec["dest"],
                "label": workflow.trigger_label(spec["trigger"]),
                "guards": [str(GUARD_WORDS.get(g, g.replace("_", " "))) for g in guards],
                "by_timer": spec["trigger"] in workflow.timer_triggers,
            }
        )
    return rows


@bp.get("/admin/workflows")
@role_required(Role.ADMIN)
def workflows() -> str:
    return render_template(
        "requirements/workflows.html",
        workflows=[
            {
                "workflow": w,
                "layout": layout(w),
                "mermaid": w.diagram(),
                "transitions": transitions_table(w),
            }
            for w in WORKFLOWS.values()
        ],
    )
