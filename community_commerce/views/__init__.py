"""The plugin's pages. Thin: parse the form, call one service, show the result."""
