package dev.xent.cli;

/** A .npy file read for {@code xent loss}: its array, and its path for messages. */
record InputFile(String name, NpyArray array) {}
