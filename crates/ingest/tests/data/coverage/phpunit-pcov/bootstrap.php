<?php

require __DIR__ . '/src/Calc.php';
require __DIR__ . '/src/functions.php';
