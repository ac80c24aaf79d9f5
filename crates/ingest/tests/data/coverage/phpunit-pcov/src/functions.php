<?php

declare(strict_types=1);

namespace Demo;

function greet(string $name): string
{
    if ($name === '') {
        return 'hello, nobody';
    }
    return 'hello, ' . $name;
}

function shout(string $text): string
{
    return strtoupper($text) . '!';
}
