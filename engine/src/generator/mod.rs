//! MobileStyleGAN in candle.
