"""Where a patient's localised findings sit: plausible places, clustered, kept across follow-ups.

Each patient gets one plan, drawn once, so a nodule seen at follow-up 0 is at the same place
at follow-up 3. The plan is built around a FOCUS: one side (the right a little more often)
and one zone of that lung, and findings that go together clinically cluster there:

- Pneumonia, Consolidation and Infiltration share one air-space zone, lower lobes most often.
- Effusion sits at the focus side's base (both bases in 20% of patients) and Atelectasis just
  above it: compressive collapse next to the fluid.
- Nodule and Mass sit in the air-space zone half the time, elsewhere (upper zones favoured)
  otherwise; a second or third nodule goes anywhere.
- Pneumothorax is apical, Pleural_Thickening an apical cap or a stretch of lateral wall,
  both on the focus side 70% of the time; Hernia is retrocardiac, in the heart's shadow above the domes.

So the findings of one image mostly fall into one region that a single attention box can
cover, and their places are partly predictable, as on real films.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .anatomy import LEFT, RIGHT, Anatomy


@dataclass(frozen=True)
class Site:
    """A finding's place: pixel (x, y) in the canonical frame, the lung side, lung coords."""

    x: float
    y: float
    side: int
    u: float = 0.5  # medial 0 .. lateral 1
    v: float = 0.5  # apex 0 .. base 1
    kind: str = ""  # Pleural_Thickening: "apex" or "lateral"


SitePlan = dict[str, list[Site]]


def plan_sites(anatomy: Anatomy, rng: np.random.Generator) -> SitePlan:
    """One patient's sites for every localised class (used only if the class is present)."""
    a = anatomy
    focus = RIGHT if rng.random() < 0.55 else LEFT

    def at(side, u, v, kind=""):
        x, y = a.lung_point(side, u, v)
        return Site(x, y, side, float(u), float(v), kind)

    def usually_focus(p=0.8):
        return focus if rng.random() < p else -focus

    zone_side = usually_focus()
    zone_v = float(rng.choice([rng.uniform(0.55, 0.85), rng.uniform(0.35, 0.6), rng.uniform(0.15, 0.35)],
                              p=[0.55, 0.3, 0.15]))
    zone_u = float(rng.uniform(0.35, 0.75))

    def near_zone(spread):
        u = np.clip(zone_u + rng.uniform(-spread, spread), 0.2, 0.85)
        v = np.clip(zone_v + rng.uniform(-spread, spread), 0.1, 0.88)
        return at(zone_side, u, v)

    def anywhere():
        v = 0.08 + 0.8 * rng.beta(2.0, 2.6)  # upper and middle zones favoured
        return at(RIGHT if rng.random() < 0.5 else LEFT, rng.uniform(0.25, 0.85), v)

    plan: SitePlan = {}
    for label, spread in (("Pneumonia", 0.05), ("Consolidation", 0.05), ("Infiltration", 0.07)):
        plan[label] = [near_zone(spread)]
    for label in ("Nodule", "Mass"):
        plan[label] = [near_zone(0.12) if rng.random() < 0.5 else anywhere()]
    extra = rng.choice([0, 1, 2], p=[0.8, 0.15, 0.05])
    plan["Nodule"] += [anywhere() for _ in range(extra)]

    effusion_side = usually_focus(0.85)
    plan["Effusion"] = [at(effusion_side, 0.8, 0.9)]
    if rng.random() < 0.2:
        plan["Effusion"].append(at(-effusion_side, 0.8, 0.9))
    plan["Atelectasis"] = [at(effusion_side, rng.uniform(0.3, 0.7), rng.uniform(0.66, 0.8))]

    plan["Pneumothorax"] = [at(usually_focus(0.7), 0.7, 0.05)]
    pt_side = usually_focus(0.7)
    if rng.random() < 0.5:
        plan["Pleural_Thickening"] = [at(pt_side, 0.5, 0.02, "apex")]
    else:
        plan["Pleural_Thickening"] = [at(pt_side, 0.95, rng.uniform(0.25, 0.6), "lateral")]

    p = a.params
    hx = (p.centre + rng.uniform(0.0, 0.04)) * a.size
    hy = (0.5 * (p.dome[0] + p.dome[1]) - rng.uniform(0.07, 0.1)) * a.size
    plan["Hernia"] = [Site(hx, hy, LEFT)]
    return plan


def jitter(site: Site, rng: np.random.Generator, size: int, amount: float = 0.006) -> Site:
    """The same site on another film: a little breathing and positioning, no more."""
    return replace(site, x=site.x + rng.normal(0, amount * size), y=site.y + rng.normal(0, amount * size))
