"""The description of a network: cells (many from one template at no per-cell cost), spike
detectors, synapses, artificial spike sources and connections with delays and weights.

It is mutable and cheap, like :class:`dendrax.Cell`; :func:`dendrax.compile` lowers it to an
immutable System. Everything grows as NumPy arrays, not Python objects per cell or synapse.
Units: ms, mV, µS (weights), nA.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from ..mechanisms._base import PointMechanism
from ..morphology._selection import Location, Region
from ._cell import Cell, Placement, Recording
from ._connectivity import Connectivity, EdgeList, FromMatrix, OneToOne, resolve_values
from ._sources import NetStim, SpikeInput, SpikeTimes
from ._stimuli import CurrentInput, IClamp, SEClamp, Waveform

Source = NetStim | SpikeTimes | SpikeInput
Values = float | Sequence[float] | np.ndarray | Callable


def _take(name: str, ids: np.ndarray, item, what: str) -> np.ndarray:
    """``ids[item]`` as a 1-D array; an index out of range names the set and its size."""
    try:
        return np.atleast_1d(ids[item])
    except IndexError:
        raise IndexError(
            f"{name}[{item!r}] is out of range: {name!r} has {ids.size} {what} (indices "
            f"0..{ids.size - 1})."
        ) from None


@dataclasses.dataclass(frozen=True)
class Population:
    """A set of cells of a network (global cell ids, in order); index or slice it for a
    sub-population."""

    name: str
    cells: np.ndarray

    def __len__(self) -> int:
        return int(self.cells.size)

    def __getitem__(self, item) -> Population:
        cells = _take(self.name, self.cells, item, "cells")
        return Population(f"{self.name}[{item}]", cells)

    def __add__(self, other: Population) -> Population:
        if not isinstance(other, Population):
            return NotImplemented
        return Population(f"{self.name}+{other.name}", np.concatenate([self.cells, other.cells]))


@dataclasses.dataclass(frozen=True)
class SynapseSet:
    """Synapses placed by one :meth:`Network.place` (or :meth:`Network.connect_cells`) call:
    global synapse ids, the cell of each, and the mechanism class."""

    name: str
    mechanism_type: type[PointMechanism]
    ids: np.ndarray
    cells: np.ndarray

    def __len__(self) -> int:
        return int(self.ids.size)

    def __getitem__(self, item) -> SynapseSet:
        return SynapseSet(
            f"{self.name}[{item}]",
            self.mechanism_type,
            _take(self.name, self.ids, item, "synapses"),
            np.atleast_1d(self.cells[item]),
        )


@dataclasses.dataclass(frozen=True)
class SourceSet:
    """Artificial spike sources added by one :meth:`Network.add_source` call (global ids)."""

    name: str
    ids: np.ndarray

    def __len__(self) -> int:
        return int(self.ids.size)

    def __getitem__(self, item) -> SourceSet:
        return SourceSet(f"{self.name}[{item}]", _take(self.name, self.ids, item, "sources"))


@dataclasses.dataclass(frozen=True)
class ConnectionSet:
    """Connections made by one :meth:`Network.connect` call (global connection ids)."""

    name: str
    ids: np.ndarray

    def __len__(self) -> int:
        return int(self.ids.size)


@dataclasses.dataclass(frozen=True)
class CellBlock:
    template: Cell
    first: int
    n: int
    name: str


@dataclasses.dataclass(frozen=True)
class SynapseBatch:
    mechanism: PointMechanism
    first: int
    cells: np.ndarray  # (n,) global cell ids
    compartments: np.ndarray  # (n,) compartment within the cell
    params: dict[str, np.ndarray]  # (n,) per parameter


@dataclasses.dataclass(frozen=True)
class ConnectionBatch:
    name: str
    from_source: bool
    pre: np.ndarray  # (n,) cell id or source id
    synapse: np.ndarray  # (n,) global synapse id
    weight_uS: np.ndarray
    delay_ms: np.ndarray


@dataclasses.dataclass(frozen=True)
class GapBatch:
    """Gap junctions added by one :meth:`Network.gap_junction` call."""

    cells: np.ndarray  # (n, 2) global cell ids of the ends a, b
    compartments: np.ndarray  # (n, 2) compartment within each end's cell
    g_uS: np.ndarray  # (n,) µS


def _ids(name: str, value, n: int, what: str) -> np.ndarray:
    a = np.atleast_1d(np.asarray(value))
    if a.dtype.kind not in "iu":
        raise TypeError(f"{name}={value!r}: give {what} ids as integers (or a Population).")
    bad = a[(a < 0) | (a >= n)]
    if bad.size:
        raise ValueError(
            f"{name}: {what} {int(bad[0])} does not exist; the network has {n} {what}s "
            f"(ids 0..{n - 1})."
        )
    return a.astype(np.int64)


class Network:
    """A network of detailed cells coupled by events (NEURON's NetCon/ExpSyn/Exp2Syn model).

    Build it with :meth:`add_cells`, :meth:`detect`, :meth:`place`, :meth:`add_source` and
    :meth:`connect` (or :meth:`connect_cells`), stimulate and record cells with
    :meth:`stimulate` and :meth:`record`, then ``dx.compile(network, dt_ms, t_stop_ms)``.
    Cells are separate cable trees; they interact through events (the rules of
    ``NETWORK_FORMAT.md``: threshold detection on ``V^n``, delivery in the step whose start is
    nearest to ``t_spike + delay``, before the voltage solve) and through gap junctions
    (:meth:`gap_junction`, solved implicitly with the voltage).
    """

    def __init__(self) -> None:
        self.blocks: list[CellBlock] = []
        self.detector_cell = np.zeros(0, np.int64)
        self.detector_compartment = np.zeros(0, np.int64)
        self.detector_threshold = np.zeros(0)
        self.synapse_batches: list[SynapseBatch] = []
        self.sources: list[Source] = []
        self.connection_batches: list[ConnectionBatch] = []
        self.stimuli: list[tuple[int, Placement]] = []
        self.recordings: list[tuple[int, Recording]] = []
        self.synapse_recordings: list[tuple[str, str, int]] = []  # (key, variable, synapse)
        # graded synapses: (synapse batch index, pre cell and compartment within it, per synapse)
        self.graded_links: list[tuple[int, np.ndarray, np.ndarray]] = []
        self.populations: dict[str, Population] = {}
        self.gap_batches: list[GapBatch] = []
        self._n_cells = 0
        self._n_synapses = 0
        self._n_connections = 0

    # --- cells -----------------------------------------------------------------------------

    @property
    def n_cells(self) -> int:
        return self._n_cells

    @property
    def n_synapses(self) -> int:
        return self._n_synapses

    @property
    def n_connections(self) -> int:
        return self._n_connections

    def add_cells(self, template: Cell, n: int = 1, name: str | None = None) -> Population:
        """Add ``n`` identical, independent copies of ``template`` (its channels, stimuli,
        point mechanisms and recordings; recording keys become ``"<cell name>.<key>"``, cell
        names ``"<name><i>"``, or ``name`` itself when ``n == 1``). The template is used as it
        is at compile time. Returns the :class:`Population` of the new cells."""
        if not isinstance(template, Cell):
            raise TypeError(f"add_cells() takes a dendrax.Cell template, got {template!r}.")
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"add_cells(n={n!r}): give a whole number of cells >= 1.")
        name = f"pop{len(self.populations)}" if name is None else str(name)
        if name in self.populations:
            raise ValueError(f"add_cells(name={name!r}): a population of that name exists.")
        first = self._n_cells
        self.blocks.append(CellBlock(template, first, int(n), name))
        self._n_cells += int(n)
        pop = Population(name, np.arange(first, first + int(n)))
        self.populations[name] = pop
        return pop

    def add_cell(self, cell: Cell, name: str | None = None) -> Population:
        """Add one cell; returns a one-cell :class:`Population`."""
        return self.add_cells(cell, 1, name)

    def _block_of(self, cells: np.ndarray) -> np.ndarray:
        starts = np.asarray([b.first for b in self.blocks])
        return np.searchsorted(starts, cells, side="right") - 1

    def template_of(self, cell: int) -> Cell:
        """The Cell description that cell ``cell`` is a copy of."""
        return self.blocks[
            int(self._block_of(np.asarray([self._cell_id("cell", cell)]))[0])
        ].template

    def cell_names(self) -> list[str]:
        """The name of every cell, by id."""
        names = []
        for b in self.blocks:
            names.extend([b.name] if b.n == 1 else [f"{b.name}{i}" for i in range(b.n)])
        return names

    def _cells(self, name: str, cells) -> np.ndarray:
        if isinstance(cells, Population):
            return cells.cells
        return _ids(name, cells, self._n_cells, "cell")

    def _cell_id(self, name: str, cell) -> int:
        if isinstance(cell, Population):
            if len(cell) != 1:
                raise ValueError(f"{name}: give one cell, not a population of {len(cell)}.")
            return int(cell.cells[0])
        return int(_ids(name, cell, self._n_cells, "cell")[0])

    def _compartments(self, name: str, cells: np.ndarray, at, rng) -> np.ndarray:
        """The compartment (within its cell) of ``at`` in every cell: a location, a list of
        one location per cell, or a region (a Region, a region name or "all") drawn uniformly
        per cell."""
        from ._connectivity import random_compartments

        blocks = self._block_of(cells)
        out = np.empty(cells.size, np.int64)
        if isinstance(at, list):  # one location per cell
            if len(at) != cells.size:
                raise ValueError(
                    f"{name}: {len(at)} locations for {cells.size} cells; give one location for "
                    "all, or one per cell."
                )
            for k, loc in enumerate(at):
                out[k] = self.blocks[int(blocks[k])].template.compartment(loc)
            return out
        for b in np.unique(blocks):
            mask = blocks == b
            template = self.blocks[int(b)].template
            if isinstance(at, (Location, tuple)):
                out[mask] = template.compartment(at)
            elif isinstance(at, (Region, str)):
                candidates = template._indices(at)
                if candidates.size == 0:
                    raise ValueError(
                        f"{name}: region {at!r} has no compartment in cell template "
                        f"{self.blocks[int(b)].name!r}."
                    )
                draw = np.random.default_rng(0) if rng is None else rng
                out[mask] = random_compartments(candidates, int(mask.sum()), draw)
            else:
                raise TypeError(
                    f"{name}={at!r}: give a location (branch, x) / dx.Location, or a region "
                    "(dx.Region, a region name such as 'apical', or 'all') to draw from."
                )
        return out

    # --- detectors, synapses, sources ---------------------------------------------------

    def detect(self, cells, at=(0, 0.5), threshold_mV: float = 10.0) -> Network:
        """A spike detector on every given cell: a spike when ``v`` at ``at`` rises above
        ``threshold_mV`` (NEURON's NetCon threshold, default 10 mV; rule 1 of
        ``NETWORK_FORMAT.md``). A cell has at most one detector: a second call replaces it."""
        cells = self._cells("detect(cells)", cells)
        if not np.isfinite(threshold_mV):
            raise ValueError(f"detect(threshold_mV={threshold_mV}) must be finite (mV).")
        comps = self._compartments("detect(at)", cells, at, None)
        keep = ~np.isin(self.detector_cell, cells)
        order_cells = np.concatenate([self.detector_cell[keep], cells])
        self.detector_cell = order_cells
        self.detector_compartment = np.concatenate([self.detector_compartment[keep], comps])
        self.detector_threshold = np.concatenate(
            [self.detector_threshold[keep], np.full(cells.size, float(threshold_mV))]
        )
        return self

    def place(
        self,
        synapse: PointMechanism,
        cells,
        at=(0, 0.5),
        *,
        name: str | None = None,
        seed: int | None = 0,
        params: dict[str, Values] | None = None,
    ) -> SynapseSet:
        """One instance of ``synapse`` (e.g. ``dx.ExpSyn(tau=2, e=0)``) on every given cell, at
        ``at``: a location (branch, x), or a region (``dx.Region``, a region name) from which a
        compartment is drawn uniformly per synapse with ``seed``. ``params`` overrides
        parameters per synapse (a value, an array of one per synapse, or ``f(rng, n)``).
        Returns the :class:`SynapseSet`, the target of :meth:`connect`."""
        if not isinstance(synapse, PointMechanism):
            raise TypeError(
                f"place() takes a point mechanism such as dx.ExpSyn(), got {synapse!r}."
            )
        cells = self._cells("place(cells)", cells)
        rng = np.random.default_rng(seed)
        comps = self._compartments("place(at)", cells, at, rng)
        values = {k: np.full(cells.size, v) for k, v in synapse.values.items()}
        for k, v in (params or {}).items():
            if k not in synapse.values:
                raise ValueError(
                    f"place(params={{{k!r}: ...}}): {type(synapse).__name__} has no parameter "
                    f"{k!r}; its parameters are {sorted(synapse.values)}."
                )
            values[k] = resolve_values(
                f"place(params[{k!r}])", v, cells.size, rng, type(synapse).parameters[k][1]
            )
        first = self._n_synapses
        self.synapse_batches.append(SynapseBatch(synapse, first, cells, comps, values))
        self._n_synapses += cells.size
        name = type(synapse).name if name is None else name
        return SynapseSet(name, type(synapse), np.arange(first, self._n_synapses), cells)

    def add_source(self, source: Source, n: int = 1, name: str | None = None) -> SourceSet:
        """Add ``n`` artificial spike sources: ``dx.NetStim`` (regular or Poisson),
        ``dx.SpikeTimes`` (a fixed list) or ``dx.SpikeInput(name)`` (trains passed per call:
        ``simulate(system, inputs={name: times})``, times of shape ``(n, n_spikes)`` padded
        with ``inf``). Copies of a noisy NetStim get seeds ``seed, seed+1, ...``."""
        if not isinstance(source, (NetStim, SpikeTimes, SpikeInput)):
            raise TypeError(
                f"add_source() takes dx.NetStim, dx.SpikeTimes or dx.SpikeInput, got {source!r}."
            )
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"add_source(n={n!r}): give a whole number >= 1.")
        first = len(self.sources)
        for k in range(int(n)):
            if isinstance(source, NetStim) and source.noise > 0 and source.seed is not None:
                self.sources.append(dataclasses.replace(source, seed=source.seed + k))
            else:
                self.sources.append(source)
        label = name or type(source).__name__
        return SourceSet(label, np.arange(first, len(self.sources)))

    # --- connections ----------------------------------------------------------------------

    def connect(
        self,
        pre: Population | SourceSet,
        post: SynapseSet,
        rule: Connectivity | None = None,
        *,
        weight_uS: Values,
        delay_ms: Values = 1.0,
        seed: int | None = 0,
        name: str | None = None,
        allow_negative_weights: bool = False,
    ) -> ConnectionSet:
        """Connect the spike detectors of ``pre`` (cells; or artificial sources) to the
        synapses ``post``, by ``rule`` (default ``dx.OneToOne()``; ``AllToAll``, ``Random(p)``,
        ``FixedInDegree(k)``, ``FromMatrix``, ``EdgeList``; no autapses unless the rule allows
        them). Every spike sends an event of weight ``weight_uS`` to its synapse,
        ``delay_ms`` later (>= 0; NEURON's default 1 ms): each a value, one per connection, or
        ``f(rng, n)``. ``FromMatrix`` entries are the weights unless ``weight_uS`` is given."""
        rule = OneToOne() if rule is None else rule
        if not isinstance(rule, Connectivity):
            raise TypeError(
                f"connect(rule={rule!r}): give a dx connectivity rule, e.g. dx.Random(0.1)."
            )
        if not isinstance(post, SynapseSet):
            raise TypeError(
                f"connect(post={post!r}): give the SynapseSet returned by network.place(...) "
                "(or use network.connect_cells to place one synapse per connection)."
            )
        if isinstance(pre, SourceSet):
            from_source = True
            pre_ids = _ids("connect(pre)", pre.ids, len(self.sources), "source")
            pre_cells = np.full(pre_ids.size, -1)
        elif isinstance(pre, Population):
            from_source = False
            pre_ids = pre_cells = _ids("connect(pre)", pre.cells, self._n_cells, "cell")
        else:
            raise TypeError(
                f"connect(pre={pre!r}): give a Population (network.add_cells) or a SourceSet "
                "(network.add_source)."
            )
        _ids("connect(post)", post.ids, self._n_synapses, "synapse")
        rng = np.random.default_rng(seed)
        i, j = rule.pairs(pre_cells, post.cells, rng)
        n = i.size
        if isinstance(rule, FromMatrix) and weight_uS is None:
            weights = np.asarray(rule.matrix, dtype=np.float64)[i, j]
        else:
            weights = resolve_values("connect(weight_uS)", weight_uS, n, rng, "µS")
        delays = resolve_values("connect(delay_ms)", delay_ms, n, rng, "ms")
        if isinstance(rule, EdgeList):  # values given in the list's order; pairs are sorted
            order = rule.order()
            weights = weights if np.isscalar(weight_uS) else weights[order]
            delays = delays if np.isscalar(delay_ms) else delays[order]
        if (delays < 0).any():
            raise ValueError(
                f"connect(delay_ms): delays must be >= 0 ms (got {delays.min():g}); NEURON "
                "refuses negative NetCon delays too."
            )
        if (weights < 0).any() and not post.mechanism_type.negative_weights:
            if not allow_negative_weights:
                raise ValueError(
                    f"connect(weight_uS): {post.mechanism_type.__name__} is a conductance "
                    f"synapse and a negative weight ({weights.min():g} µS) makes its "
                    "conductance negative. For inhibition give the synapse a negative reversal "
                    "(e.g. e=-80 mV) and a positive weight; pass allow_negative_weights=True "
                    "if you mean it (NEURON allows it)."
                )
        first = self._n_connections
        label = name or f"{getattr(pre, 'name', 'pre')}->{post.name}"
        self.connection_batches.append(
            ConnectionBatch(label, from_source, pre_ids[i], post.ids[j], weights, delays)
        )
        self._n_connections += n
        return ConnectionSet(label, np.arange(first, self._n_connections))

    def connect_cells(
        self,
        pre: Population | SourceSet,
        post: Population,
        synapse: PointMechanism,
        at=(0, 0.5),
        rule: Connectivity | None = None,
        *,
        weight_uS: Values,
        delay_ms: Values = 1.0,
        seed: int | None = 0,
        name: str | None = None,
    ) -> tuple[SynapseSet, ConnectionSet]:
        """Jaxley-style: one new ``synapse`` per connection, on the post cell at ``at`` (a
        location, or a region drawn from per connection). Returns the synapses and the
        connections."""
        if not isinstance(post, Population):
            raise TypeError(f"connect_cells(post={post!r}): give a Population of cells.")
        rng = np.random.default_rng(seed)
        pre_cells = pre.cells if isinstance(pre, Population) else np.full(len(pre), -1)
        rule = OneToOne() if rule is None else rule
        i, j = rule.pairs(pre_cells, post.cells, rng)
        syn = self.place(synapse, post.cells[j], at, name=name, seed=seed)
        if isinstance(pre, Population):
            pre_sub: Population | SourceSet = Population(pre.name, pre.cells[i])
        else:
            pre_sub = SourceSet(pre.name, pre.ids[i])
        weights = weight_uS
        if isinstance(rule, FromMatrix) and weight_uS is None:
            weights = np.asarray(rule.matrix, dtype=np.float64)[i, j]
        conns = self.connect(
            pre_sub, syn, OneToOne(), weight_uS=weights, delay_ms=delay_ms, seed=seed, name=name
        )
        return syn, conns

    def connect_graded(
        self,
        pre: Population,
        post: Population,
        synapse: PointMechanism,
        at_pre=(0, 0.5),
        at_post=(0, 0.5),
        rule: Connectivity | None = None,
        *,
        params: dict[str, Values] | None = None,
        seed: int | None = 0,
        name: str | None = None,
    ) -> SynapseSet:
        """Graded transmission, continuous in the presynaptic voltage (no spikes, detectors or
        delays): for every connection of ``rule`` (default ``dx.OneToOne()``) from a cell of
        ``pre`` to a cell of ``post``, one new ``synapse`` on the post cell at ``at_post`` (a
        location, or a region drawn from per connection with ``seed``) that reads, every step,
        the voltage (mV) of the pre cell at ``at_pre``. ``synapse`` is a presynaptic mechanism
        (``dendrax.mechanisms.synapses.GradedSynapse``, ``TanhSynapse``,
        ``JaxleyIonotropicSynapse`` or your own with ``presynaptic = True``; docs/synapses.md).
        ``params`` overrides parameters per connection, as in :meth:`place`. Returns the
        :class:`SynapseSet` (record its states with :meth:`record_synapse`)."""
        if not isinstance(synapse, PointMechanism) or not type(synapse).presynaptic:
            raise TypeError(
                f"connect_graded(synapse={synapse!r}): give a graded synapse (a point mechanism "
                "with presynaptic = True, e.g. GradedSynapse()); connect event-driven synapses "
                "with network.connect_cells()."
            )
        for arg, pop in (("pre", pre), ("post", post)):
            if not isinstance(pop, Population):
                raise TypeError(
                    f"connect_graded({arg}={pop!r}): give a Population of cells "
                    "(network.add_cells); a graded synapse reads a cell's voltage."
                )
        rule = OneToOne() if rule is None else rule
        if not isinstance(rule, Connectivity):
            raise TypeError(
                f"connect_graded(rule={rule!r}): give a dx connectivity rule, e.g. dx.AllToAll()."
            )
        rng = np.random.default_rng(seed)
        i, j = rule.pairs(pre.cells, post.cells, rng)
        pre_cells = pre.cells[i]
        pre_comps = self._compartments("connect_graded(at_pre)", pre_cells, at_pre, rng)
        syn = self.place(synapse, post.cells[j], at_post, name=name, seed=seed, params=params)
        self.graded_links.append((len(self.synapse_batches) - 1, pre_cells, pre_comps))
        return syn

    # --- gap junctions ------------------------------------------------------------------

    def gap_junction(
        self, cell_a, at_a, cell_b, at_b, g_uS: Values, *, seed: int | None = 0
    ) -> Network:
        """Ohmic gap junctions (electrical synapses) between ``cell_a`` at ``at_a`` and
        ``cell_b`` at ``at_b``: the current ``g_uS (v_b - v_a)`` (nA) flows into end ``a`` and
        the same current out of end ``b``. They are solved implicitly with the cable equation
        (both ends in one linear system, as NEURON's ``LinearMechanism``; see
        ``docs/gap_junctions.md``), and are differentiable in ``g_uS``.

        Many junctions at once: ``cell_a``/``cell_b`` are a cell id, ids (a list or array) or a
        Population, of one length (or one side a single cell, used for every junction);
        ``at_a``/``at_b`` a location ``(branch, x)`` for all, a list of one location per
        junction, or a region (``dx.Region``, a region name, ``"all"``) drawn uniformly per
        junction with ``seed``; ``g_uS`` (µS, >= 0) a value, one per junction, or
        ``f(rng, n)``. Both ends may lie in one cell (a loop); two ends in one compartment have
        no effect. Returns the network.
        """
        a = self._cells("gap_junction(cell_a)", cell_a)
        b = self._cells("gap_junction(cell_b)", cell_b)
        if a.size != b.size and 1 in (a.size, b.size):
            a, b = np.broadcast_arrays(a, b)
        if a.size != b.size:
            raise ValueError(
                f"gap_junction(): {a.size} cells for end a and {b.size} for end b; give one "
                "cell per junction on both sides (or one cell on a side, used for all)."
            )
        rng = np.random.default_rng(seed)
        comp_a = self._compartments("gap_junction(at_a)", a, at_a, rng)
        comp_b = self._compartments("gap_junction(at_b)", b, at_b, rng)
        g = resolve_values("gap_junction(g_uS)", g_uS, a.size, rng, "µS")
        if (g < 0).any():
            raise ValueError(
                f"gap_junction(g_uS): a junction conductance of {g.min():g} µS is negative; "
                "give conductances >= 0 µS (0 switches a junction off)."
            )
        cells, comps = np.stack([a, b], axis=1), np.stack([comp_a, comp_b], axis=1)
        self.gap_batches.append(GapBatch(cells.astype(np.int64), comps, g))
        return self

    @property
    def n_gap_junctions(self) -> int:
        return sum(int(b.g_uS.size) for b in self.gap_batches)

    # --- stimuli and recordings ----------------------------------------------------------

    def stimulate(
        self,
        stimulus: IClamp | Waveform | CurrentInput | SEClamp,
        cells,
        at,
        key: str | None = None,
    ) -> Network:
        """Inject a current clamp into every given cell (an id, ids or a Population) at ``at``
        (as :meth:`dendrax.Cell.stimulate`; a ``CurrentInput`` drives all of them), or clamp
        their voltage (:class:`dendrax.SEClamp`; ``key`` names the clamp of one cell, so
        that ``record("i", cell, at, key=..., mechanism=key)`` records its current)."""
        if not isinstance(stimulus, (IClamp, Waveform, CurrentInput, SEClamp)):
            raise TypeError(
                f"stimulate() takes an IClamp, Waveform, CurrentInput or SEClamp, got {stimulus!r}."
            )
        if key is not None and not isinstance(stimulus, SEClamp):
            raise ValueError("stimulate(key=...) names a voltage clamp (SEClamp) only.")
        ids = self._cells("stimulate(cells)", cells)
        if isinstance(stimulus, SEClamp) and key is not None and ids.size != 1:
            raise ValueError(
                f"stimulate(key={key!r}): a key names the clamp of one cell; give one cell."
            )
        for c, comp in zip(ids, self._compartments("stimulate(at)", ids, at, None)):
            name = key
            if isinstance(stimulus, SEClamp) and name is None:
                name = f"SEClamp_{len(self.stimuli)}"
            self.stimuli.append((int(c), Placement(stimulus, int(comp), name)))
        return self

    def record(self, variable: str, cells, at, key: str, mechanism: str | None = None) -> Network:
        """Record ``"v"`` (mV) or a mechanism state at ``at`` of every given cell (an id, ids
        or a Population): under ``key`` for one cell, ``"<key>[i]"`` for the i-th of several."""
        if not isinstance(key, str) or not key:
            raise ValueError(f"record(key={key!r}): give a non-empty name.")
        ids = self._cells("record(cells)", cells)
        comps = self._compartments("record(at)", ids, at, None)
        if variable != "v" and mechanism is None:
            for c, comp in zip(ids, comps):
                self._check_state(key, variable, int(c), int(comp))
        for i, (c, comp) in enumerate(zip(ids, comps)):
            name = key if ids.size == 1 else f"{key}[{i}]"
            self.recordings.append((int(c), Recording(name, variable, mechanism, int(comp))))
        return self

    def _check_state(self, key: str, variable: str, cell: int, comp: int) -> None:
        """Refuse a ``variable`` that no channel can have: neither a state of a channel of the
        template nor of the registry's. (Whether one at ``comp`` has it is checked when
        compiling: the template may still get channels until then.)"""
        from ..mechanisms import DEFAULT_REGISTRY
        from ._compile._records import is_recordable_name

        template = self.template_of(cell)
        own = [type(ins.channel) for ins in template.insertions]
        if is_recordable_name(variable, [*DEFAULT_REGISTRY.values(), *own]):
            return
        there = {
            type(ins.channel).name: tuple(type(ins.channel).states)
            for ins in template.insertions
            if comp in np.asarray(ins.indices)
        }
        recordable = ["v"] + sorted({st for states in there.values() for st in states})
        raise ValueError(
            f"record({variable!r}, key={key!r}): cell {cell} has no state {variable!r} at "
            f"compartment {comp} (channels there: {sorted(there) or 'none'}); record one of "
            f"{recordable}, or pass mechanism=... for a point mechanism of the template."
        )

    def record_synapse(
        self, synapses: SynapseSet, variable: str = "g", key: str | None = None
    ) -> Network:
        """Record a state or derived quantity (``"g"``, µS) of synapses; ``key`` for one synapse,
        or ``"<key>[i]"`` per synapse (default key: the set's name)."""
        if not isinstance(synapses, SynapseSet):
            raise TypeError(
                f"record_synapse() takes a SynapseSet (network.place), got {synapses!r}."
            )
        mtype = synapses.mechanism_type
        if variable not in mtype.states + mtype.derived:
            raise ValueError(
                f"record_synapse({synapses.name!r}, {variable!r}): {mtype.__name__} has no state "
                f"{variable!r}; record one of {list(mtype.derived + mtype.states)}."
            )
        key = synapses.name if key is None else key
        for k, s in enumerate(synapses.ids):
            self.synapse_recordings.append(
                (key if len(synapses) == 1 else f"{key}[{k}]", variable, int(s))
            )
        return self
