<?php
use PHPUnit\Framework\TestCase;

final class CalcTest extends TestCase
{
    public function testAdds(): void
    {
        $this->assertSame(4, 2 + 2);
    }

    public function testAddsWrong(): void
    {
        $this->assertSame(5, 2 + 2, 'two and two');
    }

    public function testDividesByZero(): void
    {
        $x = intdiv(1, 0);
    }

    public function testSkipped(): void
    {
        $this->markTestSkipped('not on this platform');
    }

    public function testIncomplete(): void
    {
        $this->markTestIncomplete('not written yet');
    }

    public function testRisky(): void
    {
    }

    /** @dataProvider pairs */
    public function testPairs(int $a, int $b, int $sum): void
    {
        $this->assertSame($sum, $a + $b);
    }

    public static function pairs(): array
    {
        return ['one' => [1, 1, 2], 'two' => [2, 2, 4], 'bad' => [3, 3, 7]];
    }
}
