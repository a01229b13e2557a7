"""The static layer table (NeuroSim's NetWork.csv) derived from the model config."""

from cimjax.config import ModelConfig
from cimjax.hw.network import network_csv, network_layers

NEUROSIM_VGG8_CSV = """32,32,3,3,3,128,0,1
32,32,128,3,3,128,1,1
16,16,128,3,3,256,0,1
16,16,256,3,3,256,1,1
8,8,256,3,3,512,0,1
8,8,512,3,3,512,1,1
1,1,8192,1,1,1024,0,1
1,1,1024,1,1,10,0,1
"""


def test_vgg8_matches_neurosim_network_csv():
    layers = network_layers(ModelConfig(name="vgg8"), (32, 32, 3))
    assert network_csv(layers) == NEUROSIM_VGG8_CSV


def test_vgg8_counts():
    layers = network_layers(ModelConfig(name="vgg8"), (32, 32, 3))
    assert sum(l.num_weights for l in layers) == 12_973_440
    assert sum(l.macs for l in layers) == 615_917_568
    assert [l.macs for l in layers][:2] == [3_538_944, 150_994_944]
    assert [l.valid_windows for l in layers] == [900, 900, 196, 196, 36, 36, 1, 1]


def test_width_and_input_shape():
    layers = network_layers(ModelConfig(name="vgg8", width=0.125), (28, 28, 1))
    assert [l.out_channels for l in layers] == [16, 16, 32, 32, 64, 64, 128, 10]
    assert layers[6].in_channels == 3 * 3 * 64  # 28 -> 14 -> 7 -> 3
    mlp = network_layers(ModelConfig(name="mlp", hidden=64), (16, 16, 1))
    assert [(l.in_channels, l.out_channels) for l in mlp] == [(256, 64), (64, 10)]
