"""The design space of the co-optimisation study (``benchmarks/co_optimize.py``) and of

    cimjax optimize --config configs/vgg8_cifar10.py --grid configs/sweeps/co_opt_space.py \\
        --objective edp --constraint "area<=1.0x"

Ranges are the optimiser's bounds; a dense sweep of the same file (``cimjax sweep``) is the
grid baseline (the float ranges' ``num`` points; ADC bits every integer).
"""

GRID = {
    "sample": "grid",
    "objectives": ["edp", "area"],
    "color_by": "adc_bits",
    "parameters": {
        "adc_bits": {"min": 3, "max": 8},
        "read_voltage": {"min": 0.1, "max": 0.8, "num": 8},
        "read_pulse_width": {"min": 2e-9, "max": 5e-8, "num": 8, "scale": "log"},
        "r_on": {"min": 1e4, "max": 1e6, "num": 8, "scale": "log"},
        "clock_hz": {"min": 2e8, "max": 2e9, "num": 8, "scale": "log"},
    },
}
