"""The denoising autoencoder: corruption, reconstruction, and the energy ||y - dec(enc(y))||^2."""
