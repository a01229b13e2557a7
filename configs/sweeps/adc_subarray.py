"""ADC precision × sub-array size × column-mux ratio × cell type (cartesian, 6·3·3·2 = 108 designs).

    cimjax sweep --config configs/vgg8_cifar10.py --grid configs/sweeps/adc_subarray.py --out runs/sweep_adc

Sub-array size and column mux change the static chip (H-tree grid, mux decoders) and cell
type is a static choice: the sweep traces or compiles once per static group (each group here is
small, so it is traced once and evaluated on the host: no XLA compile).
"""

GRID = {
    "sample": "grid",
    "objectives": ["energy", "latency", "area"],
    "color_by": "adc_bits",
    "parameters": {
        "adc_bits": [3, 4, 5, 6, 7, 8],
        "subarray_size": [64, 128, 256],
        "columns_per_adc": [4, 8, 16],
        "cell_type": ["rram", "fefet"],
    },
}
