"""multiact for PyTorch users: :mod:`multiact.torch.nn`, ``torch.nn.Module`` activations."""
