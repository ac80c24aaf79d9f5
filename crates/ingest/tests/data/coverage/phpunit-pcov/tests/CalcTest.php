<?php

declare(strict_types=1);

use Demo\Calc;
use PHPUnit\Framework\TestCase;

final class CalcTest extends TestCase
{
    public function testAdd(): void
    {
        $this->assertSame(5, (new Calc())->add(2, 3));
    }

    public function testDivide(): void
    {
        $this->assertSame(2.0, (new Calc())->divide(4, 2));
    }

    public function testClassify(): void
    {
        $calc = new Calc();
        $this->assertSame('negative', $calc->classify(-1));
        $this->assertSame('positive', $calc->classify(3));
    }

    public function testGreet(): void
    {
        $this->assertSame('hello, ada', \Demo\greet('ada'));
    }
}
