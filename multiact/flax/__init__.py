"""multiact for Flax users: :mod:`multiact.flax.nnx`, Flax NNX activation modules."""
