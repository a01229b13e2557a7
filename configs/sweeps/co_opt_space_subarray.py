"""``co_opt_space.py`` plus the sub-array size (64, 128, 256: three static groups), for the
co-optimisation study with a binding area budget (``benchmarks/co_optimize.py --budget
"area<=0.3x" --tag co_optimize_subarray``): 73,728 grid designs."""

GRID = {
    "sample": "grid",
    "objectives": ["edp", "area"],
    "color_by": "subarray_size",
    "parameters": {
        "subarray_size": [64, 128, 256],
        "adc_bits": {"min": 3, "max": 8},
        "read_voltage": {"min": 0.1, "max": 0.8, "num": 8},
        "read_pulse_width": {"min": 2e-9, "max": 5e-8, "num": 8, "scale": "log"},
        "r_on": {"min": 1e4, "max": 1e6, "num": 8, "scale": "log"},
        "clock_hz": {"min": 2e8, "max": 2e9, "num": 8, "scale": "log"},
    },
}
