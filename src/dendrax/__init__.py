"""dendrax: differentiable simulation of detailed biophysical neuron models, on JAX.

Flow: describe a :class:`Cell` (geometry, cable properties, channels, stimuli, recordings) ->
:func:`compile` it to an immutable :class:`System` -> :func:`simulate` (pure; jit, grad and vmap
apply). Units follow NEURON: mV, ms, µm, µF/cm², Ω·cm, S/cm², mA/cm², nA, °C.

Importing dendrax enables JAX's float64 support (``jax_enable_x64``) globally, for the whole
process: validation against NEURON runs in float64, and new JAX arrays in your own code default
to 64 bits too. Choose float32 per model with ``compile(..., dtype=jnp.float32)``. If you switch
float64 off again (``jax.config.update("jax_enable_x64", False)``), compile with
``dtype=jnp.float32``: asking for float64 then raises an error instead of silently computing in
float32.

The plotting functions (:func:`plot_traces`, :func:`plot_raster`, :func:`plot_morphology`) are
loaded on first use:
``import dendrax`` does not import matplotlib.
"""

import jax as _jax

_jax.config.update("jax_enable_x64", True)

from ._analysis import spike_times  # noqa: E402
from ._batch import batch_map, use_cpu_cores  # noqa: E402
from .io._model_json import load_model  # noqa: E402
from .io._network_json import load_network  # noqa: E402
from .io._params import load_params, save_params  # noqa: E402
from .io._save_model import save_model  # noqa: E402
from .io.nmodl import load_mod  # noqa: E402
from .mechanisms import (  # noqa: E402
    HH,
    Channel,
    Mechanism,
    MechanismRegistry,
    Pas,
    PointMechanism,
)
from .mechanisms.synapses import (  # noqa: E402
    Exp2Syn,
    ExpSyn,
    GradedSynapse,
    JaxleyIonotropicSynapse,
    TanhSynapse,
)
from .model._cell import Cell  # noqa: E402
from .model._compile import compile  # noqa: E402
from .model._connectivity import (  # noqa: E402
    AllToAll,
    Connectivity,
    EdgeList,
    FixedInDegree,
    FixedOutDegree,
    FromMatrix,
    OneToOne,
    Random,
)
from .model._network import ConnectionSet, Network, Population, SourceSet, SynapseSet  # noqa: E402
from .model._sources import NetStim, SpikeInput, SpikeTimes  # noqa: E402
from .model._stimuli import CurrentInput, IClamp, SEClamp, Waveform  # noqa: E402
from .model._units import UnitWarning  # noqa: E402
from .morphology import BranchGeometry, Geometry  # noqa: E402
from .morphology._discretize import DLambda, MaxLength, NComp  # noqa: E402
from .morphology._import3d import NeuronImport3d  # noqa: E402
from .morphology._morphology import Morphology, read_swc  # noqa: E402
from .morphology._reference import ReferenceConversion  # noqa: E402
from .morphology._selection import Location, Region, Selection  # noqa: E402
from .morphology._swc import SWCError  # noqa: E402
from .solve._methods import BackwardEuler, CrankNicolson  # noqa: E402
from .solve._simulate import Result, simulate  # noqa: E402
from .solve._spikes import SurrogateSpike  # noqa: E402
from .solve._state import State, initial_state  # noqa: E402
from .solve._system import System  # noqa: E402
from .solve._tree import AbstractTreeSolver, HinesLevels, HinesSequential  # noqa: E402
from .train._connection_filter import Connections  # noqa: E402
from .train._connections import ConnectionParameter  # noqa: E402
from .train._divergence import SimulationDiverged, check_finite  # noqa: E402
from .train._features import (  # noqa: E402
    windowed_features,
    windowed_mean,
    windowed_spike_count,
    windowed_std,
)
from .train._fit import FitResult, Phase, adam_then_lbfgs, fit  # noqa: E402
from .train._losses import (  # noqa: E402
    mse,
    soft_max,
    soft_spike_count,
    summary_statistics,
    time_mask,
    window_mean,
    window_std,
)
from .train._network_sharing import (  # noqa: E402
    PerConnection,
    PerConnectionGroup,
    PerPopulationPair,
    PerSynapse,
)
from .train._parameter_map import ParameterMap, Trainable  # noqa: E402
from .train._quantities import CableParameter, MechanismParameter  # noqa: E402
from .train._sharing import (  # noqa: E402
    Grouping,
    PerBranch,
    PerCell,
    PerCompartment,
    PerPopulation,
    PerRegion,
    Shared,
)
from .train._transforms import (  # noqa: E402
    Affine,
    Chain,
    Identity,
    LogSigmoid,
    Sigmoid,
    Softplus,
    Transform,
)

__version__ = "0.1.0"


def __getattr__(name: str):
    """The plotting functions, imported on first use (matplotlib stays unimported until then)."""
    if name == "plot_morphology":
        from .viz._morphology import plot_morphology

        return plot_morphology
    if name == "plot_traces":
        from .viz._traces import plot_traces

        return plot_traces
    if name == "plot_raster":
        from .viz._raster import plot_raster

        return plot_raster
    raise AttributeError(f"module 'dendrax' has no attribute {name!r}")


__all__ = [
    "AllToAll",
    "ConnectionSet",
    "Connectivity",
    "EdgeList",
    "Exp2Syn",
    "ExpSyn",
    "GradedSynapse",
    "JaxleyIonotropicSynapse",
    "TanhSynapse",
    "FixedInDegree",
    "FixedOutDegree",
    "FromMatrix",
    "NetStim",
    "Network",
    "OneToOne",
    "Population",
    "Random",
    "SourceSet",
    "SpikeInput",
    "SpikeTimes",
    "SurrogateSpike",
    "SynapseSet",
    "load_network",
    "AbstractTreeSolver",
    "CableParameter",
    "CurrentInput",
    "Mechanism",
    "MechanismParameter",
    "MechanismRegistry",
    "PerCell",
    "ConnectionParameter",
    "Connections",
    "PerConnection",
    "PerConnectionGroup",
    "PerPopulation",
    "PerPopulationPair",
    "PerSynapse",
    "PointMechanism",
    "Region",
    "initial_state",
    "batch_map",
    "use_cpu_cores",
    "Affine",
    "Chain",
    "Grouping",
    "Identity",
    "ParameterMap",
    "PerBranch",
    "PerCompartment",
    "PerRegion",
    "Shared",
    "Sigmoid",
    "Softplus",
    "Trainable",
    "Transform",
    "UnitWarning",
    "BackwardEuler",
    "BranchGeometry",
    "Cell",
    "Channel",
    "CrankNicolson",
    "DLambda",
    "Geometry",
    "HH",
    "HinesLevels",
    "HinesSequential",
    "IClamp",
    "SEClamp",
    "Location",
    "MaxLength",
    "Morphology",
    "NComp",
    "NeuronImport3d",
    "Pas",
    "ReferenceConversion",
    "Result",
    "SWCError",
    "Selection",
    "State",
    "System",
    "Waveform",
    "compile",
    "read_swc",
    "simulate",
    "FitResult",
    "LogSigmoid",
    "Phase",
    "adam_then_lbfgs",
    "windowed_features",
    "windowed_mean",
    "windowed_spike_count",
    "windowed_std",
    "SimulationDiverged",
    "check_finite",
    "fit",
    "mse",
    "soft_max",
    "soft_spike_count",
    "summary_statistics",
    "time_mask",
    "window_mean",
    "window_std",
    "load_model",
    "load_mod",
    "load_params",
    "plot_morphology",
    "plot_raster",
    "plot_traces",
    "save_model",
    "save_params",
    "spike_times",
]
