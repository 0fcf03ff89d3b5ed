/** A user's module: ModulePathConsumerTest compiles it against xent-core on the module path. */
module xent.consumer {
    requires dev.xent;
}
