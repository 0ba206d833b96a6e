"""Reference counts the tests compare against, copied with their sources (the project stands alone).

TORCHVISION: ../shared/data/reference_counts.csv, computed with torch 2.14.1 / torchvision 0.29.1 /
timm on CPU, batch 1, eval mode (googlenet and inception_v3 without aux classifiers, inception_v3 at
299x299, others 224x224); params = sum of parameter numel, MACs = conv + linear multiply-accumulates
checked two ways (forward hooks and torch.utils.flop_counter / 2).
"""

# spec name -> (params, MACs, reference model)
EXACT: dict[str, tuple[int, int, str]] = {
    "mbv1": (4_231_976, 568_740_352, "timm mobilenetv1_100"),
    "mbv2": (3_504_872, 300_774_272, "torchvision mobilenet_v2"),
    "mbv3_small": (2_542_856, 56_510_400, "torchvision mobilenet_v3_small"),
    "mbv3_large": (5_483_032, 216_589_760, "torchvision mobilenet_v3_large"),
    "mbv3_large_original_last_stage": (
        4_983_512,
        250_907_520,
        "torchvision blocks, paper Fig. 5 original last stage",
    ),
    "mnasnet_b1": (4_383_312, 314_415_872, "torchvision mnasnet1_0"),
    "squeezenet1_0": (1_248_424, 818_924_576, "torchvision squeezenet1_0"),
    "squeezenet1_1": (1_235_496, 349_151_936, "torchvision squeezenet1_1"),
    "shufflenet_v2_x0_5": (1_366_792, 40_476_448, "torchvision shufflenet_v2_x0_5"),
    "shufflenet_v2_x1_0": (2_278_604, 144_907_992, "torchvision shufflenet_v2_x1_0"),
    "googlenet": (6_624_904, 1_498_376_192, "torchvision googlenet (no aux)"),
    "inception_v3": (23_834_568, 5_713_216_096, "torchvision inception_v3 (no aux, 299x299)"),
    "efficientnet_b0": (5_288_548, 385_814_752, "torchvision efficientnet_b0"),
    "densenet121": (7_978_856, 2_834_161_664, "torchvision densenet121"),
    "resnet18": (11_689_512, 1_814_073_344, "torchvision resnet18"),
    "resnet50": (25_557_032, 4_089_184_256, "torchvision resnet50"),
    "vgg16": (138_357_544, 15_470_264_320, "torchvision vgg16"),
    "alexnet": (61_100_840, 714_188_480, "torchvision alexnet"),
    # Transformers and hybrids: MACs include the attention matmuls (torch.utils.flop_counter with the
    # math attention backend, FLOPs / 2; ../shared/REFERENCES.md section 1).
    "convnext_tiny": (28_589_128, 4_455_531_264, "torchvision convnext_tiny"),
    "vit_b_16": (86_567_656, 17_563_828_224, "torchvision vit_b_16"),
    "swin_t": (28_288_354, 4_490_566_656, "torchvision swin_t"),
    "mobilevit_s": (5_578_632, 2_000_831_488, "timm mobilevit_s at 256x256"),
    # prefill of 1,024 tokens: block linears 12 d^2 n L + attention 2 n^2 d L + LM head n d V
    "gpt2": (124_439_808, 145_824_153_600, "GPT-2 small, hand count checked with a torch GPT-2"),
}

# One GPT-2 decode step at context 1,024: L (12 d^2 + 2 x 1,024 d) + d V MACs (same source).
GPT2_DECODE_CTX1024 = (124_439_808, 142_406_400)

# Specs whose reference is a parameter count only.
PARAMS_ONLY: dict[str, tuple[int, str]] = {
    "llama2_7b": (6_738_415_616, "Llama-2-7B (32 layers, d 4,096, FFN 11,008, vocab 32,000, untied head)"),
}

# Models without a torchvision counterpart: published (params, MAdds), to be met within 2%.
PUBLISHED: dict[str, tuple[float, float, str]] = {
    "nasnet_a_mobile": (5.3e6, 564e6, "Zoph et al., CVPR 2018, Table 2"),
    "shufflenet_v1_g3": (
        1.9e6,
        140e6,
        "Zhang et al., CVPR 2018, Table 2 (140 MFLOPs = MAdds); "
        "params from the authors' ShuffleNet-Series release",
    ),
    "bn_inception": (11.3e6, 2.0e9, "osmr imgclsmob bninception (~11.3M params, ~2.0G MACs)"),
    "mnasnet_a1": (3.9e6, 312e6, "Tan et al., CVPR 2019, Table 1"),
}

# torchvision mobilenet_v3_large(width_mult=0.75): from issue 2's acceptance criteria.
MBV3_LARGE_075 = (3_377_576, 140_033_816)
