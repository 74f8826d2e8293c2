"""Hay et al. (2011)'s ``L5PCbiophys3.hoc`` (ModelDB 139653): the channels, densities and
distributions of the L5 pyramidal cell model, put on a :class:`dendrax.Cell`.

Hay E, Hill S, Schürmann F, Markram H, Segev I (2011) "Models of neocortical layer 5b pyramidal
cells capturing a wide range of dendritic and perisomatic active properties", PLoS Comput Biol
7:e1002107. The values are also listed in ``../shared/reference/FORMAT_V2.md`` section 9.

Units: conductance densities S/cm², ``decay`` ms, ``gamma`` dimensionless, ``e`` mV.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..mechanisms import Channel, Pas
from ..mechanisms.hay import (
    SK_E2,
    Ca_HVA,
    Ca_LVAst,
    CaDynamics_E2,
    Ih,
    Im,
    K_Pst,
    K_Tst,
    Nap_Et2,
    NaTa_t,
    SKv3_1,
)
from ..model._cell import Cell

CHANNELS: dict[str, type[Channel]] = {
    c.name: c
    for c in (Ca_HVA, Ca_LVAst, CaDynamics_E2, Ih, Im, K_Pst, K_Tst, NaTa_t, Nap_Et2, SK_E2, SKv3_1)
}
CHANNELS["pas"] = Pas

E_PAS_MV = -90.0
ENA_MV = 50.0
EK_MV = -85.0
RA_OHM_CM = 100.0
CM_UF_CM2 = {"soma": 1.0, "axon": 1.0, "apical": 2.0, "basal": 2.0}

# Uniform values per region: {region: {SUFFIX: {RANGE parameter: value}}}.
BIOPHYS3: dict[str, dict[str, dict[str, float]]] = {
    "soma": {
        "pas": {"g": 3.38e-5},
        "Ih": {"gIhbar": 0.0002},
        "NaTa_t": {"gNaTa_tbar": 2.04},
        "Nap_Et2": {"gNap_Et2bar": 0.00172},
        "K_Pst": {"gK_Pstbar": 0.00223},
        "K_Tst": {"gK_Tstbar": 0.0812},
        "SKv3_1": {"gSKv3_1bar": 0.693},
        "SK_E2": {"gSK_E2bar": 0.0441},
        "Ca_HVA": {"gCa_HVAbar": 0.000992},
        "Ca_LVAst": {"gCa_LVAstbar": 0.00343},
        "CaDynamics_E2": {"gamma": 0.000501, "decay": 460.0},
    },
    "apical": {
        "pas": {"g": 5.89e-5},
        "NaTa_t": {"gNaTa_tbar": 0.0213},
        "SKv3_1": {"gSKv3_1bar": 0.000261},
        "SK_E2": {"gSK_E2bar": 0.0012},
        "Im": {"gImbar": 6.75e-5},
        "CaDynamics_E2": {"gamma": 0.000509, "decay": 122.0},
        # distributed below (APICAL_DISTRIBUTIONS); the values here are the scale factors
        "Ih": {"gIhbar": 0.0002},
        "Ca_HVA": {"gCa_HVAbar": 0.000555},
        "Ca_LVAst": {"gCa_LVAstbar": 0.0187},
    },
    "basal": {
        "pas": {"g": 4.67e-5},
        "Ih": {"gIhbar": 0.0002},
    },
    "axon": {
        "pas": {"g": 3.25e-5},
    },
}

DISTRIBUTED = {"Ih": "gIhbar", "Ca_LVAst": "gCa_LVAstbar", "Ca_HVA": "gCa_HVAbar"}
"""The apical parameters that vary with distance; their BIOPHYS3 values are scale factors."""

HOT_ZONE_UM = (685.0, 885.0)
"""Hay's Ca "hot zone": path distances (µm, from the apical root's start) where the apical
Ca_HVA and Ca_LVAst densities are 10x and 100x their values elsewhere."""


def apical_expressions(scale: Mapping[str, float]) -> dict[str, tuple[str, str]]:
    """Hay's apical distributions (``distribute_channels`` in ``L5PCtemplate.hoc``) as
    ``{SUFFIX: (parameter, expression in d and dmax)}`` for the SUFFIXes in ``scale``, ``d``
    being the path distance (µm) from the x = 0 end of the apical root section and ``dmax``
    its largest value at an apical tip, with ``scale[SUFFIX]`` the overall factor (S/cm²):

    - Ih: ``scale (-0.8696 + 2.087 exp(3.6161 d/dmax))`` (exponential gradient);
    - Ca_LVAst: ``scale`` inside 685 < d < 885 µm, ``0.01 scale`` elsewhere;
    - Ca_HVA: ``scale`` inside the same zone, ``0.1 scale`` elsewhere.
    """
    lo, hi = HOT_ZONE_UM
    zone = f"where({lo!r} < d < {hi!r}, 1.0, {{}})"
    expressions = {
        "Ih": ("gIhbar", "{!r}*(-0.8696 + 2.087*exp(3.6161*d/dmax))"),
        "Ca_LVAst": ("gCa_LVAstbar", "{!r}*" + zone.format(0.01)),
        "Ca_HVA": ("gCa_HVAbar", "{!r}*" + zone.format(0.1)),
    }
    return {s: (p, e.format(float(scale[s]))) for s, (p, e) in expressions.items() if s in scale}


def insert_biophys3(
    cell: Cell,
    apical_origin: tuple[int, float],
    biophys: Mapping[str, Mapping[str, Mapping[str, float]]] = BIOPHYS3,
) -> Cell:
    """Put ``L5PCbiophys3`` on ``cell`` (regions by the branches' ``kind``: soma, apical,
    basal, axon).

    - cable: Ra = 100 Ω·cm everywhere, cm = 2 µF/cm² on apical and basal, 1 elsewhere;
    - pas everywhere with e = -90 mV; ena = 50 mV and ek = -85 mV fixed (set where a
      mechanism reads them); Ca's reversal
      potential follows the Nernst equation wherever CaDynamics_E2 writes cai (NEURON's rule,
      ``Cell.set_ion`` mode "auto"), at NEURON's cai0 = 5e-5 mM, cao0 = 2 mM;
    - the uniform densities of ``biophys`` (default :data:`BIOPHYS3`) per region, and the
      apical Ih, Ca_HVA, Ca_LVAst distributions of :func:`apical_expressions` with the
      apical values of ``biophys`` as their scale, measured from ``apical_origin``
      (``(apical root branch, 0.0)``: Hay's ``apic distance()``), each compartment taking the
      value at its centre except the last of every branch, which takes the value at x = 1
      (Hay's ``for (x)`` loop; ``sample="last_at_x1"``, docs/distributions.md).
    """
    present = {b.kind for b in cell.geometry.branches}
    cell.set_cable(Ra_ohm_cm=RA_OHM_CM)
    for region, cm in CM_UF_CM2.items():
        if region in present:
            cell.set_cable(cm_uF_cm2=cm, where=cell.select(kind=region))
    reads = {r for m in biophys.values() for suffix in m for r in CHANNELS[suffix].ion_reads}
    if "ena" in reads:
        cell.set_ion("na", erev_mV=ENA_MV, mode="fixed")
    if "ek" in reads:
        cell.set_ion("k", erev_mV=EK_MV, mode="fixed")
    apical = biophys.get("apical", {})
    distributed = apical_expressions(
        {suffix: apical[suffix][p] for suffix, p in DISTRIBUTED.items() if suffix in apical}
    )
    for region, mechanisms in biophys.items():
        if region not in present:
            continue
        where = cell.select(kind=region)
        for suffix, given in mechanisms.items():
            channel_type = CHANNELS[suffix]
            values: dict[str, float] = dict(given)
            if suffix == "pas":
                values.setdefault("e", E_PAS_MV)
            varying = {}
            if region == "apical" and suffix in distributed:
                parameter, expression = distributed[suffix]
                values.pop(parameter)
                varying = {parameter: expression}
            channel = channel_type(**values)  # type: ignore[arg-type]  # eqx.Module's field
            cell.insert(
                channel, where, per_compartment=varying, origin=apical_origin, sample="last_at_x1"
            )
    return cell
