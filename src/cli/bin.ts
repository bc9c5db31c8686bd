#!/usr/bin/env node
/** The `softkey` executable. */
import { main } from './main.js';

void main(process.argv.slice(2)).then((code) => process.exit(code));
