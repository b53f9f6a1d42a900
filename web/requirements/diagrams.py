"""The admin's workflow page: each declared workflow drawn as an SVG laid out on the server (no
script, works offline), its Mermaid text (`Workflow.diagram()`) and its transitions and timers
as tables — all generated from the declaration."""

from collections import deque
from dataclasses import dataclass
from typing import Any

from flask import render_template

from models import Role
from web.access import role_required
from web.requirements import bp
from workflows.requirements import WORKFLOWS
from workflows.workflow_declaration import Workflow

BOX_W, BOX_H = 160, 40
GAP_X, GAP_Y = 120, 46
MARGIN = 40
LOOP_DROP = 56  # how far below the boxes an edge that goes back to an earlier column runs


@dataclass(frozen=True)
class Box:
    state: str
    x: float
    y: float
    column: int
    is_initial: bool
    is_final: bool

    @property
    def cx(self) -> float:
        return self.x + BOX_W / 2

    @property
    def cy(self) -> float:
        return self.y + BOX_H / 2


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


def _columns(workflow: Workflow) -> dict[str, int]:
    """Each state's column: its distance from the initial state (breadth first)."""
    depth = {workflow.initial: 0}
    queue = deque([workflow.initial])
    while queue:
        state = queue.popleft()
        for spec in workflow.transitions:
            if state in _sources(spec) and spec["dest"] not in depth:
                depth[spec["dest"]] = depth[state] + 1
                queue.append(spec["dest"])
    unreached = max(depth.values(), default=0) + 1
    return {s: depth.get(s, unreached) for s in workflow.states}


def layout(workflow: Workflow) -> Layout:
    columns = _columns(workflow)
    stacks: dict[int, list[str]] = {}
    for state in workflow.states:
        stacks.setdefault(columns[state], []).append(state)
    tallest = max(len(s) for s in stacks.values())
    boxes: dict[str, Box] = {}
    for column, states in stacks.items():
        offset = (tallest - len(states)) * (BOX_H + GAP_Y) / 2
        for row, state in enumerate(states):
            boxes[state] = Box(
                state=state,
                x=MARGIN + 30 + column * (BOX_W + GAP_X),
                y=MARGIN + offset + row * (BOX_H + GAP_Y),
                column=column,
                is_initial=state == workflow.initial,
                is_final=state in workflow.final_states,
            )
    bottom = MARGIN + tallest * (BOX_H + GAP_Y) - GAP_Y
    labels: dict[tuple[str, str], list[str]] = {}
    for spec in workflow.transitions:
        for source in _sources(spec):
            labels.setdefault((source, spec["dest"]), []).append(spec["trigger"])
    edges = []
    for index, ((source, dest), triggers) in enumerate(labels.items()):
        timer_only = all(t in workflow.timer_triggers for t in triggers)
        drop = bottom + LOOP_DROP + (index % 3) * 14
        edges.append(_edge(boxes[source], boxes[dest], ", ".join(triggers), timer_only, drop))
    width = MARGIN * 2 + 30 + (max(columns.values()) + 1) * (BOX_W + GAP_X) - GAP_X
    return Layout(width, bottom + LOOP_DROP + 3 * 14 + MARGIN, list(boxes.values()), edges)


def _edge(a: Box, b: Box, label: str, timer_only: bool, drop: float) -> Edge:
    """A cubic curve: forward to the next column's left side, down-and-back below the boxes for
    a return to an earlier column, and a bulge to the right within one column."""
    if b.column > a.column:
        p0, p3 = (a.x + BOX_W, a.cy), (b.x, b.cy)
        p1, p2 = (p0[0] + GAP_X / 2, p0[1]), (p3[0] - GAP_X / 2, p3[1])
    elif b.column < a.column:
        p0, p3 = (a.cx, a.y + BOX_H), (b.cx + 12, b.y + BOX_H)
        p1, p2 = (p0[0], drop), (p3[0], drop)
    else:
        p0, p3 = (a.x + BOX_W, a.cy + 6), (b.x + BOX_W, b.cy - 6)
        p1, p2 = (p0[0] + GAP_X / 2, p0[1]), (p3[0] + GAP_X / 2, p3[1])
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
                "guards": [g.replace("_", " ") for g in guards],
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
        box_w=BOX_W,
        box_h=BOX_H,
    )
