"""What cimjax gives people and scripts: text tables, CSV / JSON files and PNG plots.

- :mod:`cimjax.report.mapping`: the network's floorplan on the chip as data;
- :mod:`cimjax.report.tables`: text tables (mapping, chip estimate, ``cimjax evaluate``);
- :mod:`cimjax.report.files`: the one CSV / JSON writer and every file built with it;
- :mod:`cimjax.report.plots`: every PNG;
- :mod:`cimjax.report.units`: SI prefixes and the choice of a plot axis.

Host-side only (numpy, matplotlib); no Flax.
"""
