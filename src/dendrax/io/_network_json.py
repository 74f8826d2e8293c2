"""dendrax's network file format, version 1 (``"format": "neuroref-network/1"``).

The format is NEURON's network reference format (docs/network_format.md): cells built as in
the single-cell format (inline branches or shared templates), spike detectors, ExpSyn/Exp2Syn
synapses (or any point mechanism of the registry), NetStim and spike-list sources, NetCon-like
connections with delay and weight, and recordings of voltages, gates and synaptic
conductances. Every field is checked; errors name the field and the fix.
"""

from __future__ import annotations

import os
import pathlib
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..mechanisms import DEFAULT_REGISTRY, MechanismRegistry
from ..mechanisms._base import PointMechanism
from ..mechanisms.synapses import Exp2Syn, ExpSyn
from ..model._cell import Cell
from ..model._connectivity import EdgeList
from ..model._network import Network, Population, SourceSet, SynapseSet
from ..model._sources import NetStim, SpikeInput, SpikeTimes
from ..model._stimuli import SEClamp
from ..morphology._selection import Location
from ._model_json import (
    ModelFileError,
    _check_comp,
    _index,
    _number,
    _unknown,
    _x,
    cell_from_branches,
    read_json,
    registry_with_mod_files,
    run_options,
    stimulus_from_dict,
)

NETWORK_FORMATS = ("neuroref-network/1",)
_TOP_REQUIRED = ("celsius", "v_init_mV", "dt_ms", "tstop_ms", "method", "cells")
_TOP_OPTIONAL = (
    "format", "name", "description", "templates", "stimuli", "synapses", "sources",
    "connections", "recordings", "n_cells", "n_compartments", "n_synapses", "n_connections",
    "units", "mod_files",
)  # fmt: skip
# the reference format's synapse types: (class, {file field: parameter})
SYNAPSE_TYPES: dict[str, tuple[type[PointMechanism], dict[str, str]]] = {
    "expsyn": (ExpSyn, {"tau_ms": "tau", "e_mV": "e"}),
    "exp2syn": (Exp2Syn, {"tau1_ms": "tau1", "tau2_ms": "tau2", "e_mV": "e"}),
}
# time constants: > 0, except Exp2Syn's tau1, which may be 0 (NEURON uses 1e-9*tau2)
_POSITIVE = {"tau_ms", "tau2_ms"}
_NONNEG = {"tau1_ms"}


def _event_synapses(registry: MechanismRegistry) -> list[str]:
    """The registry's point mechanisms that take events (graded synapses read a presynaptic
    voltage instead and have no place in the file)."""
    return sorted(
        n
        for n, m in registry.items()
        if issubclass(m, PointMechanism) and not getattr(m, "presynaptic", False)
    )


def is_network_file(data: Any) -> bool:
    return isinstance(data, Mapping) and str(data.get("format", "")).startswith("neuroref-network")


def _location(where: str, entry: Mapping, cell: Cell) -> Location:
    nb = cell.geometry.n_branches
    loc = Location(
        _index(f"{where}.branch", entry.get("branch"), nb, "branch"),
        _x(f"{where}.x", entry.get("x")),
    )
    _check_comp(where, entry, cell, loc)
    return loc


def _list(data: Mapping, field: str) -> list:
    value = data.get(field, [])
    if not isinstance(value, list):
        raise ModelFileError(f"{field} must be a list.")
    return value


def _cells(data: Mapping, registry: MechanismRegistry, net: Network) -> list[Cell]:
    templates_raw = data.get("templates", {})
    if not isinstance(templates_raw, Mapping):
        raise ModelFileError("templates must be an object {name: [branch, ...]}.")
    templates = {
        name: cell_from_branches(branches, registry, f"templates[{name!r}]")
        for name, branches in templates_raw.items()
    }
    cells = _list(data, "cells")
    if not cells:
        raise ModelFileError("cells must be a non-empty list.")
    out = []
    for k, c in enumerate(cells):
        where = f"cells[{k}]"
        if not isinstance(c, Mapping):
            raise ModelFileError(f"{where} must be an object.")
        _unknown(where, c, ("name", "branches", "template", "spike_detector"))
        if ("branches" in c) == ("template" in c):
            raise ModelFileError(f"{where}: give exactly one of 'branches' and 'template'.")
        if "template" in c:
            if c["template"] not in templates:
                raise ModelFileError(
                    f"{where}.template={c['template']!r} is not defined; templates are "
                    f"{sorted(templates)}. Define it in 'templates' ({{name: [branch, ...]}}) or "
                    "give the cell its own 'branches'."
                )
            cell = templates[c["template"]]
        else:
            cell = cell_from_branches(c["branches"], registry, f"{where}.branches")
        net.add_cell(cell, name=f"{k}:{c.get('name', k)}")
        out.append(cell)
        det = c.get("spike_detector")
        if det is not None:
            if not isinstance(det, Mapping):
                raise ModelFileError(f"{where}.spike_detector must be an object.")
            dw = f"{where}.spike_detector"
            _unknown(dw, det, ("branch", "x", "comp", "threshold_mV"))
            net.detect(
                [k],
                _location(dw, det, cell),
                _number(f"{dw}.threshold_mV", det.get("threshold_mV", 10.0)),
            )
    return out


def _synapses(data, registry, net: Network, cells: list[Cell]):
    """Place the synapses, one batch per type; returns per file synapse (set, index)."""
    by_type: dict[str, list[tuple[int, int, Location, dict, type[PointMechanism]]]] = {}
    for s_i, s in enumerate(_list(data, "synapses")):
        where = f"synapses[{s_i}]"
        if not isinstance(s, Mapping):
            raise ModelFileError(f"{where} must be an object.")
        kind = s.get("type")
        c = _index(f"{where}.cell", s.get("cell"), len(cells), "cell")
        if kind in SYNAPSE_TYPES:
            cls, fields = SYNAPSE_TYPES[kind]
            _unknown(where, s, ("type", "cell", "branch", "x", "comp", *fields))
            missing = [f for f in fields if f not in s]
            if missing:
                raise ModelFileError(
                    f"{where} ({kind}) lacks {missing}; an {kind} needs {list(fields)} "
                    "(time constants in ms, reversal in mV)."
                )
            values = {
                p: _number(f"{where}.{f}", s[f], positive=f in _POSITIVE, nonneg=f in _NONNEG)
                for f, p in fields.items()
            }
        elif (
            isinstance(kind, str)
            and kind in registry
            and issubclass(registry[kind], PointMechanism)
            and getattr(registry[kind], "presynaptic", False)
        ):
            raise ModelFileError(
                f"{where}.type={kind!r} is a graded synapse (it reads the presynaptic voltage "
                "continuously, not events), which network files cannot connect; use an event "
                f"synapse ({['expsyn', 'exp2syn', *_event_synapses(registry)]}), or build it in "
                "Python with network.connect_graded(pre, post, synapse, at_pre=..., at_post=...)."
            )
        elif (
            isinstance(kind, str)
            and kind in registry
            and issubclass(registry[kind], PointMechanism)
        ):
            cls = registry[kind]
            _unknown(where, s, ("type", "cell", "branch", "x", "comp", "params"))
            params = s.get("params", {})
            if not isinstance(params, Mapping):
                raise ModelFileError(f"{where}.params must be an object of parameter values.")
            _unknown(f"{where}.params", params, cls.parameters)
            values = {p: _number(f"{where}.params.{p}", v) for p, v in params.items()}
        else:
            raise ModelFileError(
                f"{where}.type={kind!r}: use 'expsyn', 'exp2syn' or the name of a point "
                f"mechanism in the registry ({_event_synapses(registry)}) with its 'params'."
            )
        entry = (s_i, c, _location(where, s, cells[c]), values, cls)
        by_type.setdefault(cls.name, []).append(entry)
    where_of: dict[int, tuple[SynapseSet, int]] = {}
    for name, entries in by_type.items():
        cls = entries[0][4]
        seen: set = set()
        for e in entries:  # build each distinct parameter set once: checks and warnings
            key = tuple(sorted(e[3].items()))
            if key not in seen:
                seen.add(key)
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    try:
                        cls(**e[3])
                    except (TypeError, ValueError) as err:
                        raise ModelFileError(f"synapses[{e[0]}]: {err}") from None
                for w in caught:  # re-issued here, so that the caller's filters apply
                    warnings.warn(f"synapses[{e[0]}]: {w.message}", w.category, stacklevel=4)
        base = cls()  # type: ignore[call-arg]  # values default
        params = {
            p: np.asarray([e[3].get(p, base.values[p]) for e in entries]) for p in cls.parameters
        }
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            syn = net.place(
                base, [e[1] for e in entries], [e[2] for e in entries], name=name, params=params
            )
        for k, e in enumerate(entries):
            where_of[e[0]] = (syn, k)
    return where_of


def _sources(data, net: Network) -> SourceSet | None:
    sources = _list(data, "sources")
    for j, s in enumerate(sources):
        where = f"sources[{j}]"
        if not isinstance(s, Mapping):
            raise ModelFileError(f"{where} must be an object.")
        kind = s.get("type")
        try:
            if kind == "netstim":
                _unknown(where, s, ("type", "start_ms", "interval_ms", "number", "noise", "seed"))
                src: Any = NetStim(
                    _number(f"{where}.start_ms", s.get("start_ms")),
                    _number(f"{where}.interval_ms", s.get("interval_ms")),
                    s.get("number"),  # type: ignore[arg-type]  # NetStim checks it
                    noise=_number(f"{where}.noise", s.get("noise", 0)),
                    seed=s.get("seed"),
                )
            elif kind == "spike_times":
                _unknown(where, s, ("type", "t_ms"))
                times = s.get("t_ms")
                if not isinstance(times, list) or not all(
                    isinstance(t, (int, float)) and not isinstance(t, bool) for t in times
                ):
                    raise ModelFileError(
                        f"{where}.t_ms must be a list of spike times in ms (numbers, "
                        f"non-decreasing, >= 0; [] for none), got {times!r}."
                    )
                src = SpikeTimes(np.asarray(times, dtype=float))
            elif kind == "spike_input":
                _unknown(where, s, ("type", "name"))
                src = SpikeInput(s.get("name"))  # type: ignore[arg-type]  # checked there
            else:
                raise ModelFileError(
                    f"{where}.type={kind!r}: use 'netstim', 'spike_times' or 'spike_input'."
                )
        except (TypeError, ValueError) as e:
            if isinstance(e, ModelFileError):
                raise
            raise ModelFileError(f"{where}: {e}") from None
        net.add_source(src)
    return SourceSet("sources", np.arange(len(sources))) if sources else None


def network_from_dict(
    data: Mapping,
    registry: MechanismRegistry = DEFAULT_REGISTRY,
    base_dir: str | os.PathLike | None = None,
) -> tuple[Network, dict]:
    """Build a :class:`dendrax.Network` and the keyword arguments of :func:`dendrax.compile`
    from a network file (``neuroref-network/1``). Its ``mod_files`` (NMODL files imported by
    :func:`dendrax.load_mod`, paths relative to ``base_dir``, default the current directory)
    add to ``registry``: their density mechanisms go into cells and their point processes with
    NET_RECEIVE serve as synapse ``type``s, by SUFFIX / POINT_PROCESS name."""
    if not isinstance(data, Mapping):
        raise ModelFileError("A network file must hold a JSON object at the top level.")
    fmt = data.get("format")
    if fmt not in NETWORK_FORMATS:
        raise ModelFileError(
            f"format={fmt!r} is not supported; this dendrax reads {NETWORK_FORMATS}."
        )
    _unknown("network", data, _TOP_REQUIRED + _TOP_OPTIONAL)
    for f in _TOP_REQUIRED:
        if f not in data:
            raise ModelFileError(f"The network lacks the required field {f!r}.")
    options = run_options(data)
    registry = registry_with_mod_files(data.get("mod_files"), registry, base_dir)
    net = Network()
    cells = _cells(data, registry, net)
    for s_i, s in enumerate(_list(data, "stimuli")):
        where = f"stimuli[{s_i}]"
        c = _index(
            f"{where}.cell", s.get("cell") if isinstance(s, Mapping) else None, len(cells), "cell"
        )
        stim, loc = stimulus_from_dict(where, s, cells[c], extra=("cell",))
        net.stimulate(stim, [c], loc, key=f"stim{s_i}" if isinstance(stim, SEClamp) else None)
    synapses = _synapses(data, registry, net, cells)
    sources = _sources(data, net)
    _connections(data, net, synapses, sources, len(cells))
    _recordings(data, registry, net, cells, synapses)
    return net, options


def _ref(where: str, value: Any, n: int, what: str, field: str) -> int:
    """An index into the file's list ``field`` (which has ``n`` entries)."""
    if n == 0:
        raise ModelFileError(
            f"{where}={value!r} does not exist: the file has no {what}s; add the {what} to "
            f"'{field}' (entries are numbered from 0)."
        )
    return _index(where, value, n, what)


def _connections(data, net: Network, synapses, sources, n_cells: int) -> None:
    groups: dict[tuple[bool, int], list] = {}
    detectors = set(np.asarray(net.detector_cell).tolist())
    for c_i, c in enumerate(_list(data, "connections")):
        where = f"connections[{c_i}]"
        if not isinstance(c, Mapping):
            raise ModelFileError(f"{where} must be an object.")
        _unknown(where, c, ("pre", "synapse", "delay_ms", "weight_uS"))
        pre = c.get("pre")
        if not isinstance(pre, Mapping) or len(pre) != 1 or not ({"cell", "source"} & set(pre)):
            raise ModelFileError(f"{where}.pre must be {{'cell': k}} or {{'source': j}}.")
        if "cell" in pre:
            from_source, p = False, _index(f"{where}.pre.cell", pre["cell"], n_cells, "cell")
            if p not in detectors:
                raise ModelFileError(
                    f"{where}.pre.cell={p}: cells[{p}] sends connections but has no "
                    f'spike_detector; add one to cells[{p}], e.g. "spike_detector": '
                    '{"branch": 0, "x": 0.5, "threshold_mV": 10} (every connection from a cell '
                    "uses its detector)."
                )
        else:
            n_src = 0 if sources is None else len(sources)
            from_source, p = (
                True,
                _ref(f"{where}.pre.source", pre["source"], n_src, "source", "sources"),
            )
        s = _ref(f"{where}.synapse", c.get("synapse"), len(synapses), "synapse", "synapses")
        for field in ("delay_ms", "weight_uS"):
            if field not in c:
                raise ModelFileError(
                    f"{where} lacks {field!r}: every connection needs 'delay_ms' (ms, >= 0) and "
                    "'weight_uS' (µS)."
                )
        delay = _number(f"{where}.delay_ms", c["delay_ms"], nonneg=True)
        weight = _number(f"{where}.weight_uS", c["weight_uS"])
        syn_set, k = synapses[s]
        if weight < 0 and not syn_set.mechanism_type.negative_weights:
            raise ModelFileError(
                f"{where}.weight_uS={weight:g} is negative, but synapses[{s}] "
                f"({syn_set.mechanism_type.__name__}) is a conductance synapse: a negative "
                "weight makes its conductance negative. For inhibition give the synapse a negative "
                "reversal (e.g. e_mV -80) and a positive weight. (NEURON allows negative "
                "weights; so does the Python API, with network.connect(..., "
                "allow_negative_weights=True).)"
            )
        groups.setdefault((from_source, id(syn_set)), [syn_set, []])[1].append(
            (p, k, weight, delay)
        )
    for (from_source, _), (syn_set, rows) in groups.items():
        a = np.asarray(rows, dtype=float)
        pre = sources if from_source else Population("cells", np.arange(n_cells))
        try:
            net.connect(
                pre,
                syn_set,
                EdgeList(a[:, 0].astype(int), a[:, 1].astype(int)),
                weight_uS=a[:, 2],
                delay_ms=a[:, 3],
            )
        except ValueError as e:
            raise ModelFileError(f"connections: {e}") from None


def _mechanism_owner(where: str, var: str, mech: Any, cell: Cell, c: int, loc: Location) -> str:
    """The mechanism at ``loc`` of ``cell`` whose state ``var`` is recorded."""
    comp = cell.compartment(loc)
    there = {
        type(ins.channel).name: tuple(type(ins.channel).states)
        for ins in cell.insertions
        if comp in np.asarray(ins.indices)
    }
    recordable = ["v"] + sorted({st for states in there.values() for st in states})
    place = f"cells[{c}] at branch {loc.branch}, x={loc.x:g}"
    if mech is not None:
        if mech not in there or var not in there[mech]:
            raise ModelFileError(
                f"{where}: record {var!r} of mechanism {mech!r}: {place} has no such state "
                f"(its mechanisms there: { ({n: list(st) for n, st in there.items()}) }); record "
                f"one of {recordable}."
            )
        return str(mech)
    owners = [n for n, states in there.items() if var in states]
    if not owners:
        raise ModelFileError(
            f"{where}.var={var!r}: {place} has no state {var!r} (mechanisms there: "
            f"{sorted(there) or 'none'}); record one of {recordable}."
        )
    if len(owners) > 1:
        raise ModelFileError(
            f"{where}.var={var!r}: several mechanisms at {place} have it ({owners}); add "
            f'"mechanism": one of them.'
        )
    return owners[0]


def _recordings(data, registry, net: Network, cells, synapses) -> None:
    seen: set[str] = set()
    for r_i, r in enumerate(_list(data, "recordings")):
        where = f"recordings[{r_i}]"
        if not isinstance(r, Mapping):
            raise ModelFileError(f"{where} must be an object.")
        key = r.get("key")
        if (
            not isinstance(key, str)
            or not key
            or key == "t"
            or key.startswith(("spikes__", "netcon_spikes__"))
        ):
            raise ModelFileError(
                f"{where}.key={key!r} must be a non-empty name other than 't' that does not start "
                "with 'spikes__' or 'netcon_spikes__' (the output npz uses those)."
            )
        if key in seen:
            raise ModelFileError(f"{where}.key={key!r} is used twice; keys must be unique.")
        seen.add(key)
        var = r.get("var")
        if not isinstance(var, str):
            raise ModelFileError(f"{where}.var must be 'v', a state name or 'g' (a synapse).")
        if "synapse" in r:
            _unknown(where, r, ("key", "var", "synapse"))
            s = _ref(f"{where}.synapse", r["synapse"], len(synapses), "synapse", "synapses")
            syn_set, k = synapses[s]
            mtype = syn_set.mechanism_type
            if var not in mtype.states + mtype.derived:
                raise ModelFileError(
                    f"{where}.var={var!r}: synapses[{s}] ({mtype.__name__}) has no state "
                    f"{var!r}; record one of {list(mtype.derived + mtype.states)}."
                )
            net.record_synapse(syn_set[k], var, key)
            continue
        _unknown(where, r, ("key", "var", "cell", "branch", "x", "comp", "mechanism"))
        c = _index(f"{where}.cell", r.get("cell"), len(cells), "cell")
        loc = _location(where, r, cells[c])
        mech = r.get("mechanism")
        if var != "v":
            mech = _mechanism_owner(where, var, mech, cells[c], c, loc)
        net.record(var, [c], loc, key, mechanism=mech)


def load_network(
    path: str | os.PathLike, registry: MechanismRegistry = DEFAULT_REGISTRY
) -> tuple[Network, dict]:
    """Read a JSON network file; see :func:`network_from_dict` (``mod_files`` are relative to
    the file's folder)."""
    return network_from_dict(read_json(path, "Network"), registry, pathlib.Path(path).parent)
