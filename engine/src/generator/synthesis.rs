//! MobileStyleGAN's synthesis network: W+ styles `[b, 23, 512]` -> RGB `[b, 3, 1024, 1024]`.
//!
//! Structure (read off the OpenVINO IR): a learned 4x4x512 constant, modulated by style 0 and
//! convolved 3x3 (`conv1`); then 7 blocks (`layers.0..7`), each an inverse-Haar up-sampler whose
//! input channels are modulated by one style, and two modulated depthwise-separable convolutions
//! (3x3 depthwise, then 1x1), each followed by fixed noise, bias and leaky ReLU 0.2; finally
//! `layers.6.to_img`, a modulated 1x1 convolution to 12 wavelet channels, and one inverse Haar
//! transform to the image. No demodulation. Styles are read in this order:
//! `conv1`, then per block `up`, `conv1`, `conv2` (3 x 7), then `to_img`: 23 in all.
//!
//! Two forward passes compute the same function: [`SynthesisNetwork::forward_differentiable`]
//! uses plain candle ops (autograd, any device); [`SynthesisNetwork::forward`] uses the fused CPU
//! kernels of [`super::cpu_kernels`] on CPU and the plain ops elsewhere.

use super::cpu_kernels;
use super::mapping::leaky_relu;
use candle_core::{DType, IndexOp, Result, Tensor, D};
use candle_nn::VarBuilder;

/// Shape of the synthesis network.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthesisConfig {
    /// Width of a style vector.
    pub style_dim: usize,
    /// Channels of the 4x4 constant and of `conv1`.
    pub input_channels: usize,
    /// Output channels of each of the 7 blocks (resolutions 8, 16, ..., 512).
    pub block_channels: Vec<usize>,
    /// Wavelet channels of the final 1x1 convolution (4 bands x RGB).
    pub image_wavelet_channels: usize,
    /// Slope of the leaky ReLU.
    pub negative_slope: f64,
}

impl Default for SynthesisConfig {
    /// MobileStyleGAN distilled from StyleGAN2-FFHQ 1024x1024.
    fn default() -> Self {
        Self {
            style_dim: 512,
            input_channels: 512,
            block_channels: vec![512, 512, 512, 512, 256, 128, 64],
            image_wavelet_channels: 12,
            negative_slope: 0.2,
        }
    }
}

impl SynthesisConfig {
    /// Number of style vectors read (the length of a W+ code).
    pub fn num_styles(&self) -> usize {
        2 + 3 * self.block_channels.len()
    }

    /// Side of the output image.
    pub fn resolution(&self) -> usize {
        4 << (self.block_channels.len() + 1)
    }
}

/// A style linear `w -> s` (`modulation.{weight,bias}`), times a constant scale where the IR has one.
#[derive(Debug, Clone)]
struct StyleLinear {
    weight: Tensor,
    bias: Tensor,
    scale: f64,
}

impl StyleLinear {
    fn load(vb: VarBuilder, style_dim: usize, channels: usize, scaled: bool) -> Result<Self> {
        let scale = if scaled {
            vb.get(1, "scale")?.to_vec1::<f32>()?[0] as f64
        } else {
            1.0
        };
        Ok(Self {
            weight: vb.get((channels, style_dim), "weight")?,
            bias: vb.get(channels, "bias")?,
            scale,
        })
    }

    /// `[b, style_dim]` -> `[b, channels]`.
    fn forward(&self, style: &Tensor) -> Result<Tensor> {
        style.matmul(&self.weight.t()?)?.broadcast_add(&self.bias)? * self.scale
    }
}

/// Flattened `f32` copy of a weight, for the CPU kernels.
fn flat(t: &Tensor) -> Result<Vec<f32>> {
    t.flatten_all()?.to_dtype(DType::F32)?.to_vec1::<f32>()
}

/// 1x1 convolution as a (batched) matrix product: `weight` `[b or 1, C_out, C_in]`, `x`
/// `[b, C_in, H, W]`.
fn pointwise(weight: &Tensor, x: &Tensor) -> Result<Tensor> {
    let (b, c, h, w) = x.dims4()?;
    let y = weight.broadcast_matmul(&x.reshape((b, c, h * w))?)?;
    let cout = y.dim(1)?;
    y.reshape((b, cout, h, w))
}

/// Plain-op 3x3 depthwise convolution (zero padding 1): nine shifted multiply-adds.
pub(crate) fn depthwise3x3_plain(x: &Tensor, weight: &Tensor) -> Result<Tensor> {
    let (_, c, h, w) = x.dims4()?;
    let padded = x.pad_with_zeros(2, 1, 1)?.pad_with_zeros(3, 1, 1)?;
    let taps = weight.reshape((c, 9))?;
    let mut acc: Option<Tensor> = None;
    for ky in 0..3 {
        for kx in 0..3 {
            let k = taps.i((.., ky * 3 + kx))?.reshape((1, c, 1, 1))?;
            let term = padded
                .narrow(2, ky, h)?
                .narrow(3, kx, w)?
                .broadcast_mul(&k)?;
            acc = Some(match acc {
                None => term,
                Some(a) => (a + term)?,
            });
        }
    }
    acc.ok_or_else(|| candle_core::Error::Msg("empty kernel".into()))
}

/// Plain-op inverse Haar transform `[b, 4C, H, W]` -> `[b, C, 2H, 2W]`. Channel layout: the C
/// low-band channels first, then the three high bands of each channel as `[C, 3]`. Output pixel
/// `(2i + p, 2j + q)` is `(ll ± h0 ± h1 ± h2) / 2` with signs `(-1)^p`, `(-1)^q`, `(-1)^(p+q)`.
pub fn inverse_haar_plain(x: &Tensor) -> Result<Tensor> {
    let (b, c4, h, w) = x.dims4()?;
    let c = c4 / 4;
    let ll = x.narrow(1, 0, c)?;
    let high = x.narrow(1, c, 3 * c)?.reshape((b, c, 3, h, w))?;
    let (h0, h1, h2) = (
        high.i((.., .., 0))?,
        high.i((.., .., 1))?,
        high.i((.., .., 2))?,
    );
    let (p, m) = ((&ll + &h0)?, (&ll - &h0)?);
    let (q, n) = ((&h1 + &h2)?, (&h1 - &h2)?);
    let half = |t: Tensor| t * 0.5;
    let (y00, y01) = (half((&p + &q)?)?, half((&p - &q)?)?);
    let (y10, y11) = (half((&m + &n)?)?, half((&m - &n)?)?);
    let top = Tensor::stack(&[y00, y01], D::Minus1)?.reshape((b, c, h, 2 * w))?;
    let bottom = Tensor::stack(&[y10, y11], D::Minus1)?.reshape((b, c, h, 2 * w))?;
    Tensor::stack(&[top, bottom], 3)?.reshape((b, c, 2 * h, 2 * w))
}

/// A modulated depthwise-separable convolution with noise, bias and leaky ReLU
/// (`layers.{i}.conv{1,2}`).
#[derive(Debug, Clone)]
struct StyledConv {
    modulation: StyleLinear,
    weight_dw: Tensor,
    /// `[C_out, C_in]`
    weight_permute: Tensor,
    noise: Tensor,
    bias: Tensor,
    slope: f64,
    cpu: StyledConvCpu,
}

/// Flattened copies of the constants the CPU kernels read.
#[derive(Debug, Clone)]
struct StyledConvCpu {
    weight_dw: Vec<f32>,
    noise: Vec<f32>,
    bias: Vec<f32>,
}

impl StyledConv {
    fn load(
        vb: VarBuilder,
        cfg: &SynthesisConfig,
        cin: usize,
        cout: usize,
        res: usize,
    ) -> Result<Self> {
        let conv = vb.pp("conv");
        let modulation = StyleLinear::load(conv.pp("modulation"), cfg.style_dim, cin, true)?;
        let weight_dw = conv.get((cin, 1, 3, 3), "weight_dw")?;
        let weight_permute = conv
            .get((cout, cin, 1, 1), "weight_permute")?
            .reshape((cout, cin))?;
        let noise = vb.get((1, 1, res, res), "noise")?;
        let bias = vb.get((1, cout, 1, 1), "bias")?;
        let cpu = StyledConvCpu {
            weight_dw: flat(&weight_dw)?,
            noise: flat(&noise)?,
            bias: flat(&bias)?,
        };
        Ok(Self {
            modulation,
            weight_dw,
            weight_permute,
            noise,
            bias,
            slope: cfg.negative_slope,
            cpu,
        })
    }

    fn forward_differentiable(&self, x: &Tensor, style: &Tensor) -> Result<Tensor> {
        let s = self.modulation.forward(style)?.unsqueeze(2)?.unsqueeze(3)?;
        let x = depthwise3x3_plain(&x.broadcast_mul(&s)?, &self.weight_dw)?;
        let y = pointwise(&self.weight_permute.unsqueeze(0)?, &x)?
            .broadcast_add(&self.noise)?
            .broadcast_add(&self.bias)?;
        leaky_relu(&y, self.slope)
    }

    /// CPU: the modulation is folded into the 1x1 weights (a depthwise conv commutes with a
    /// per-channel scale), then one fused depthwise + GEMM + epilogue kernel from the flat `x` of
    /// `dims` into `out`; returns the output dims. With `haar_scale`, `x` holds wavelet bands that
    /// the kernel up-samples (scaled) as it goes.
    fn forward_cpu(
        &self,
        x: &[f32],
        dims: [usize; 4],
        haar_scale: Option<&[f32]>,
        style: &Tensor,
        out: &mut Vec<f32>,
    ) -> Result<[usize; 4]> {
        let weight_pw = self.modulated_pointwise(style)?;
        cpu_kernels::separable_conv_into(x, dims, haar_scale, self.cpu_weights(&weight_pw)?, out)
    }

    /// `[b, C_out, C_in]` 1x1 weights with the modulation of `style` folded in, flat.
    fn modulated_pointwise(&self, style: &Tensor) -> Result<Vec<f32>> {
        let s = self.modulation.forward(style)?; // [b, C_in]
        let w = self
            .weight_permute
            .unsqueeze(0)?
            .broadcast_mul(&s.unsqueeze(1)?)?;
        flat(&w)
    }

    /// The CPU kernels' view of this conv with the given modulated 1x1 weights.
    fn cpu_weights<'a>(
        &'a self,
        weight_pw: &'a [f32],
    ) -> Result<cpu_kernels::SeparableWeights<'a>> {
        Ok(cpu_kernels::SeparableWeights {
            weight_dw: &self.cpu.weight_dw,
            weight_pw,
            c_out: self.weight_permute.dim(0)?,
            noise: &self.cpu.noise,
            bias: &self.cpu.bias,
            slope: self.slope as f32,
        })
    }
}

/// One block: modulated inverse-Haar up-sampling, then two styled convolutions.
#[derive(Debug, Clone)]
struct SynthesisBlock {
    up: StyleLinear,
    conv1: StyledConv,
    conv2: StyledConv,
}

impl SynthesisBlock {
    fn load(
        vb: VarBuilder,
        cfg: &SynthesisConfig,
        cin: usize,
        cout: usize,
        res: usize,
    ) -> Result<Self> {
        Ok(Self {
            up: StyleLinear::load(vb.pp("up.modulation"), cfg.style_dim, cin, false)?,
            conv1: StyledConv::load(vb.pp("conv1"), cfg, cin / 4, cout, res)?,
            conv2: StyledConv::load(vb.pp("conv2"), cfg, cout, cout, res)?,
        })
    }
}

/// The synthesis network. Weights under `synthesis.` in the converted file.
#[derive(Debug, Clone)]
pub struct SynthesisNetwork {
    config: SynthesisConfig,
    input: Tensor,
    conv1_modulation: StyleLinear,
    conv1_weight: Tensor,
    conv1_noise: Tensor,
    conv1_bias: Tensor,
    layers: Vec<SynthesisBlock>,
    to_img_modulation: StyleLinear,
    /// `[12, 64]`
    to_img_weight: Tensor,
    to_img_bias: Tensor,
    to_img_bias_flat: Vec<f32>,
    /// The CPU pass's feature maps, kept between calls.
    buffers: cpu_kernels::BufferPool,
}

impl SynthesisNetwork {
    pub fn load(vb: VarBuilder, config: SynthesisConfig) -> Result<Self> {
        let c0 = config.input_channels;
        let conv1 = vb.pp("conv1");
        let mut layers = Vec::new();
        let (mut cin, mut res) = (c0, 4);
        for (i, &cout) in config.block_channels.iter().enumerate() {
            res *= 2;
            layers.push(SynthesisBlock::load(
                vb.pp(format!("layers.{i}")),
                &config,
                cin,
                cout,
                res,
            )?);
            cin = cout;
        }
        let last = config.block_channels.len() - 1;
        let to_img = vb.pp(format!("layers.{last}.to_img"));
        let nimg = config.image_wavelet_channels;
        let to_img_bias = to_img.get((1, nimg, 1, 1), "bias")?;
        Ok(Self {
            input: vb.get((1, c0, 4, 4), "input.input")?,
            conv1_modulation: StyleLinear::load(
                conv1.pp("conv.modulation"),
                config.style_dim,
                c0,
                true,
            )?,
            conv1_weight: conv1.get((c0, c0, 3, 3), "conv.weight")?,
            conv1_noise: conv1.get((1, 1, 4, 4), "noise")?,
            conv1_bias: conv1.get((1, c0, 1, 1), "bias")?,
            layers,
            to_img_modulation: StyleLinear::load(
                to_img.pp("conv.modulation"),
                config.style_dim,
                cin,
                true,
            )?,
            to_img_weight: to_img
                .get((nimg, cin, 1, 1), "conv.weight")?
                .reshape((nimg, cin))?,
            to_img_bias_flat: flat(&to_img_bias)?,
            to_img_bias,
            config,
            buffers: cpu_kernels::BufferPool::default(),
        })
    }

    pub fn config(&self) -> &SynthesisConfig {
        &self.config
    }

    /// The style linear that W+ style `k` feeds: 0 the stem's convolution; `1 + 3 i`, `2 + 3 i`,
    /// `3 + 3 i` block `i`'s up-sampling, first and second convolution; the last the image head.
    fn style_linear(&self, k: usize) -> Result<&StyleLinear> {
        let last = self.config.num_styles() - 1;
        Ok(match k {
            0 => &self.conv1_modulation,
            k if k == last => &self.to_img_modulation,
            k if k < last => {
                let block = &self.layers[(k - 1) / 3];
                match (k - 1) % 3 {
                    0 => &block.up,
                    1 => &block.conv1.modulation,
                    _ => &block.conv2.modulation,
                }
            }
            _ => candle_core::bail!("style {k} out of range (the code has {})", last + 1),
        })
    }

    /// The linear part `a` `[channels, 512]` of W+ style `k`'s map to the channel scales it
    /// modulates ("style space", `s = a w + b`), the constant scale folded in: how a change of the
    /// style moves the scales.
    pub fn style_weight(&self, k: usize) -> Result<Tensor> {
        let linear = self.style_linear(k)?;
        &linear.weight * linear.scale
    }

    /// The channel scales style `k` of the code gives (`style` `[b, 512]` -> `[b, channels]`).
    pub fn style_channels(&self, k: usize, style: &Tensor) -> Result<Tensor> {
        self.style_linear(k)?.forward(style)
    }

    /// Broadcasts w `[b, 512]` to W+ `[b, 23, 512]`; W+ passes through; anything else is an error.
    pub fn to_w_plus(&self, styles: &Tensor) -> Result<Tensor> {
        let n = self.config.num_styles();
        match styles.dims() {
            &[b, d] if d == self.config.style_dim => {
                styles.unsqueeze(1)?.broadcast_as((b, n, d))?.contiguous()
            }
            &[_, l, d] if l == n && d == self.config.style_dim => Ok(styles.clone()),
            dims => candle_core::bail!(
                "styles must be [b, {}] or [b, {n}, {}], got {dims:?}",
                self.config.style_dim,
                self.config.style_dim
            ),
        }
    }

    /// The 4x4 stage: modulated constant, 3x3 conv, noise, bias, leaky ReLU.
    fn stem(&self, w_plus: &Tensor) -> Result<Tensor> {
        let b = w_plus.dim(0)?;
        let s = self
            .conv1_modulation
            .forward(&w_plus.i((.., 0))?)?
            .unsqueeze(2)?
            .unsqueeze(3)?;
        let x = self
            .input
            .broadcast_as((b, self.config.input_channels, 4, 4))?
            .broadcast_mul(&s)?;
        let y = x
            .conv2d(&self.conv1_weight, 1, 1, 1, 1)?
            .broadcast_add(&self.conv1_noise)?
            .broadcast_add(&self.conv1_bias)?;
        leaky_relu(&y, self.config.negative_slope)
    }

    /// Style `k` of the W+ code, `[b, 512]`.
    fn style(w_plus: &Tensor, k: usize) -> Result<Tensor> {
        w_plus.i((.., k))?.contiguous()
    }

    /// Plain candle ops, differentiable: the feature map after the first `blocks` blocks
    /// (`blocks` = 0 is the 4x4 stem; 5 gives `[b, 128, 256, 256]`).
    pub fn features_differentiable(&self, styles: &Tensor, blocks: usize) -> Result<Tensor> {
        let w_plus = self.to_w_plus(styles)?;
        let mut x = self.stem(&w_plus)?;
        for (i, block) in self.layers.iter().enumerate().take(blocks) {
            let s = block.up.forward(&Self::style(&w_plus, 1 + 3 * i)?)?;
            x = inverse_haar_plain(&x.broadcast_mul(&s.unsqueeze(2)?.unsqueeze(3)?)?)?;
            x = block
                .conv1
                .forward_differentiable(&x, &Self::style(&w_plus, 2 + 3 * i)?)?;
            x = block
                .conv2
                .forward_differentiable(&x, &Self::style(&w_plus, 3 + 3 * i)?)?;
        }
        Ok(x)
    }

    /// Plain candle ops, differentiable, any device. `styles`: w `[b, 512]` or W+ `[b, 23, 512]`.
    /// Returns the raw image `[b, 3, 1024, 1024]`, roughly in [-1, 1].
    pub fn forward_differentiable(&self, styles: &Tensor) -> Result<Tensor> {
        let w_plus = self.to_w_plus(styles)?;
        let x = self.features_differentiable(&w_plus, self.layers.len())?;
        let s = self
            .to_img_modulation
            .forward(&Self::style(&w_plus, self.config.num_styles() - 1)?)?;
        let x = x.broadcast_mul(&s.unsqueeze(2)?.unsqueeze(3)?)?;
        let x =
            pointwise(&self.to_img_weight.unsqueeze(0)?, &x)?.broadcast_add(&self.to_img_bias)?;
        inverse_haar_plain(&x)
    }

    /// The fast inference pass (no gradients): fused CPU kernels on CPU, plain ops elsewhere.
    pub fn forward(&self, styles: &Tensor) -> Result<Tensor> {
        if !styles.device().is_cpu() || styles.dtype() != DType::F32 {
            return self.forward_differentiable(styles);
        }
        let w_plus = self.to_w_plus(styles)?;
        let b = w_plus.dim(0)?;
        let (res, channels) = (
            self.config.resolution(),
            self.config.image_wavelet_channels / 4,
        );
        let face = channels * res * res;
        let mut image = vec![0f32; b * face];
        // One face at a time: the feature maps of one face fit the pooled buffers, and a batch
        // costs no more per face than a single face (the 512 px maps are 64 MiB per face).
        let mut buffers = self.buffers.take(2);
        for (i, out) in image.chunks_exact_mut(face).enumerate() {
            self.forward_cpu_one(&w_plus.narrow(0, i, 1)?, &mut buffers, out)?;
        }
        self.buffers.give(buffers);
        Tensor::from_vec(image, (b, channels, res, res), styles.device())
    }

    /// The CPU pass of one W+ code `[1, 23, 512]` into `image` (`[3, 1024, 1024]` flat), with
    /// two ping-pong feature-map buffers: conv1 reads `x` and writes `y`, conv2 reads `y` and
    /// writes `x`.
    fn forward_cpu_one(
        &self,
        w_plus: &Tensor,
        buffers: &mut [Vec<f32>],
        image: &mut [f32],
    ) -> Result<()> {
        let [x, y] = buffers else {
            candle_core::bail!("the CPU pass needs two buffers");
        };
        let stem = self.stem(w_plus)?;
        let mut dims: [usize; 4] = stem.dims4()?.into();
        let stem = stem.flatten_all()?.to_vec1::<f32>()?;
        cpu_kernels::output_buffer(x, stem.len()).copy_from_slice(&stem);
        let last = self.layers.len() - 1;
        let s = self
            .to_img_modulation
            .forward(&Self::style(w_plus, self.config.num_styles() - 1)?)?;
        let to_img = flat(
            &self
                .to_img_weight
                .unsqueeze(0)?
                .broadcast_mul(&s.unsqueeze(1)?)?,
        )?;
        for (i, block) in self.layers.iter().enumerate() {
            // The up-sampler's inverse Haar transform runs inside conv1's kernel.
            let up = flat(&block.up.forward(&Self::style(w_plus, 1 + 3 * i)?)?)?;
            let style1 = Self::style(w_plus, 2 + 3 * i)?;
            let n = dims.iter().product();
            dims = block
                .conv1
                .forward_cpu(&x[..n], dims, Some(&up), &style1, y)?;
            let style2 = Self::style(w_plus, 3 + 3 * i)?;
            let n = dims.iter().product();
            if i < last {
                dims = block.conv2.forward_cpu(&y[..n], dims, None, &style2, x)?;
                continue;
            }
            // The last conv2 and the image stage (1x1 to wavelets, bias, inverse Haar) run in
            // one pass: the 512 px map never goes to memory.
            let weight_pw = block.conv2.modulated_pointwise(&style2)?;
            cpu_kernels::separable_conv_to_image(
                &y[..n],
                dims,
                block.conv2.cpu_weights(&weight_pw)?,
                &to_img,
                &self.to_img_bias_flat,
                image,
            )?;
        }
        Ok(())
    }
}
