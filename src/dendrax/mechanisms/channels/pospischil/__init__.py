"""The Pospischil et al. (2008) set under the NEURON names of its ModelDB mod files:
Pospischil M, Toledo-Rodriguez M, Monier C, Piwkowska Z, Bal T, Frégnac Y, Markram H,
Destexhe A (2008) "Minimal Hodgkin-Huxley type models for different classes of cortical and
thalamic neurons", Biol Cybern 99:427-441; ModelDB 123623.

| class | SUFFIX | mod file | current |
|---|---|---|---|
| :class:`HH2` | ``hh2`` | HH_traub.mod | Na+ and K+ (Traub & Miles, ``vtraub``) |
| :class:`Km` | ``im`` | IM_cortex.mod | slow K+ (M), ``taumax`` |
| :class:`CaL` | ``ical`` | IL_gutnick.mod | L-type Ca2+ (Reuveni et al. 1993) |
| :class:`CaT` | ``it`` | IT_huguenard.mod | T-type Ca2+, ``shift`` (the paper's V_x) |
| :class:`Cad` | ``cad`` | cadecay_destexhe.mod | Ca2+ pool (the demos' calcium decay) |
| :class:`Pas` | ``pas`` | NEURON built-in | leak (the demos use ``pas``) |

The leak is NEURON's built-in ``pas`` (``g_pas``, ``e_pas`` in the demos), the same class as
:class:`dendrax.mechanisms.Pas`. Where a mod file differs from the paper, the classes follow
the mod file (NEURON-identical); each class's docstring lists the differences.
"""

from ..pas import Pas
from .cad import Cad
from .cal import CaL
from .cat import CaT
from .hh2 import HH2
from .km import Km

MECHANISMS = (HH2, Km, CaL, CaT, Cad, Pas)
"""The set: spike currents, M current, L- and T-type Ca2+, the Ca2+ pool and the leak."""

__all__ = ["MECHANISMS", "CaL", "CaT", "Cad", "HH2", "Km", "Pas"]
