"""Published cell models built from dendrax's parts (a library namespace, not the top level).

- :func:`hay_l5pc`: Hay et al. (2011)'s layer-5b pyramidal cell, ``L5PCbiophys3``, on an SWC
  reconstruction (default: the bundled ``l5pc_with_axon.swc``); docs/hay_l5pc.md.
"""

from ._hay_biophysics import BIOPHYS3, DISTRIBUTED, HOT_ZONE_UM, apical_expressions, insert_biophys3
from ._hay_epsp import epsp_current
from ._hay_geometry import HayNseg, hay_geometry
from ._hay_l5pc import COMPILE_OPTIONS, apical_root, apical_site, hay_l5pc

__all__ = [
    "BIOPHYS3",
    "COMPILE_OPTIONS",
    "DISTRIBUTED",
    "HOT_ZONE_UM",
    "HayNseg",
    "apical_expressions",
    "apical_root",
    "apical_site",
    "epsp_current",
    "hay_geometry",
    "hay_l5pc",
    "insert_biophys3",
]
