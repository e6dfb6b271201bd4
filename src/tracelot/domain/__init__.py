"""Pure rules and value types of tracelot: no I/O, standard library only."""
