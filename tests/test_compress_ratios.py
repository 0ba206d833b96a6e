"""The study's compression ratios between bundled designs, each against published counts."""

from __future__ import annotations

from conftest import run

# torchvision's model builders: sum(p.numel() for p in model.parameters()) of
# torchvision.models.squeezenet1_0() and torchvision.models.alexnet() (the counts listed on
# pytorch.org/vision/stable/models: 1,248,424 and 61,100,840). SqueezeNet (Iandola et al., 2016)
# states "50x fewer parameters" than AlexNet.
SQUEEZENET1_0_PARAMS = 1_248_424
ALEXNET_PARAMS = 61_100_840


def test_squeezenet_has_about_50x_fewer_params_than_alexnet(sd855) -> None:
    squeezenet = run("squeezenet1_0", sd855).total.params
    alexnet = run("alexnet", sd855).total.params
    assert squeezenet == SQUEEZENET1_0_PARAMS
    assert alexnet == ALEXNET_PARAMS
    assert 45 <= alexnet / squeezenet <= 55
