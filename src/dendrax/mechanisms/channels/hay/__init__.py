"""The Hay et al. (2011) layer-5 pyramidal cell channel set under NEURON's names (SUFFIX) and
RANGE parameter names: Hay E, Hill S, Schürmann F, Markram H, Segev I (2011) "Models of
neocortical layer 5b pyramidal cells capturing a wide range of dendritic and perisomatic
active properties", PLoS Comput Biol 7:e1002107; ModelDB 139653.

The equations are those of ``../shared/reference/FORMAT_V2.md`` section 8 (the mod files
written out), defaults those of the mod files. The temperature factor is the constant
``qt = 2.3^((34 - 21)/10)`` of the mod files, not a function of ``celsius``.
"""

from .ca_hva import Ca_HVA
from .ca_lvast import Ca_LVAst
from .cadynamics_e2 import CaDynamics_E2
from .ih import Ih
from .im import Im
from .k_pst import K_Pst
from .k_tst import K_Tst
from .nap_et2 import Nap_Et2
from .nata_t import NaTa_t
from .nats2_t import NaTs2_t
from .sk_e2 import SK_E2
from .skv3_1 import SKv3_1

MECHANISMS = (
    NaTa_t,
    NaTs2_t,
    Nap_Et2,
    K_Pst,
    K_Tst,
    SKv3_1,
    SK_E2,
    Ih,
    Im,
    Ca_HVA,
    Ca_LVAst,
    CaDynamics_E2,
)
"""The twelve density mechanisms of the set (Hay's 13th mod file, ``epsp``, is a point
process and not included)."""

__all__ = [
    "MECHANISMS",
    "CaDynamics_E2",
    "Ca_HVA",
    "Ca_LVAst",
    "Ih",
    "Im",
    "K_Pst",
    "K_Tst",
    "NaTa_t",
    "NaTs2_t",
    "Nap_Et2",
    "SK_E2",
    "SKv3_1",
]
