//! Latents as `.npy` files.
