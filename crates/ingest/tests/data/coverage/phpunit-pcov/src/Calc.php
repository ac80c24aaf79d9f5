<?php

declare(strict_types=1);

namespace Demo;

final class Calc
{
    public function add(int $a, int $b): int
    {
        return $a + $b;
    }

    public function divide(int $a, int $b): ?float
    {
        if ($b === 0) {
            return null;
        }
        return $a / $b;
    }

    public function classify(int $n): string
    {
        if ($n < 0) {
            return 'negative';
        } elseif ($n === 0) {
            return 'zero';
        }
        return 'positive';
    }

    public function unused(): string
    {
        $text = 'never';
        return $text . ' called';
    }
}
