"""multiact for Keras 3 users: :mod:`multiact.keras.layers`, activation layers."""
