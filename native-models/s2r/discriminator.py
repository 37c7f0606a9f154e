"""AdaptSegNet's fully convolutional discriminator: five 4x4 stride-2 convs (ndf, 2, 4, 8 x ndf, 1),
LeakyReLU 0.2, no normalisation; a patch map of logits. Label convention everywhere in this package:
source (sim) = 0, target (dashcam) = 1, as in the AdaptSegNet code."""
import torch.nn as nn

SOURCE_LABEL, TARGET_LABEL = 0.0, 1.0


class Discriminator(nn.Module):
    def __init__(self, in_channels=19, ndf=64):
        super().__init__()
        chans = [in_channels, ndf, ndf * 2, ndf * 4, ndf * 8]
        layers = []
        for cin, cout in zip(chans[:-1], chans[1:]):
            layers += [nn.Conv2d(cin, cout, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
        layers.append(nn.Conv2d(chans[-1], 1, 4, 2, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)
