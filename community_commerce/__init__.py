"""The commerce plugin: merchants run group-buys, flash sales and Dutch auctions
inside forum threads. It reaches the forum only through forum_adapter."""
