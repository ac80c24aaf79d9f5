package demo;

import static org.junit.Assert.assertEquals;

import org.junit.Assume;
import org.junit.Ignore;
import org.junit.Test;

public class CalcTest {
    @Test
    public void adds() { assertEquals(4, Calc.add(2, 2)); }

    @Test
    public void addsWrong() { assertEquals("two and two", 5, Calc.add(2, 2)); }

    @Test
    public void dividesByZero() { Calc.divide(1, 0); }

    @Test
    @Ignore("not on this platform")
    public void ignored() { }

    @Test
    public void assumptionFails() {
        Assume.assumeTrue("needs a GPU", false);
    }

    @Test
    public void printsAndPasses() {
        System.out.println("some output <with> markup & more");
        assertEquals(1, 1);
    }
}
