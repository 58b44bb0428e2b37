"""One mixin per concern of the Engine Runtime Interface, composed by ``BambooDjangoRuntime``."""
