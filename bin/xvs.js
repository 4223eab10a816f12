#!/usr/bin/env node
// Entry point of the `xvs` binary: the compiled CLI lives in dist/.
import '../dist/src/cli/main.js';
