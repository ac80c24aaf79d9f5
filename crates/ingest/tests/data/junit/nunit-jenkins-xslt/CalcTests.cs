// A small NUnit 2.6 test assembly: one test of each outcome NUnit 2 reports.
using System;
using NUnit.Framework;

namespace Calc.Tests
{
    [TestFixture]
    public class CalcTests
    {
        [Test]
        public void Adds()
        {
            Assert.AreEqual(4, 2 + 2);
        }

        [Test]
        public void AddsWrong()
        {
            Assert.AreEqual(5, 2 + 2, "two and two");
        }

        [Test]
        public void DividesByZero()
        {
            int zero = 0;
            Assert.AreEqual(0, 1 / zero);
        }

        [Test, Ignore("not written yet")]
        public void Ignored()
        {
        }

        [Test]
        public void IgnoredAtRunTime()
        {
            Assert.Ignore("skipped from inside the test");
        }

        [Test]
        public void Inconclusive()
        {
            Assert.Inconclusive("no data to decide");
        }

        [Test, Explicit("only when asked")]
        public void ExplicitOnly()
        {
        }

        [TestCase(1, 1, 2)]
        [TestCase(2, 2, 5)]
        [TestCase(3, 4, 7)]
        public void Pairs(int a, int b, int sum)
        {
            Assert.AreEqual(sum, a + b);
        }

        [Test]
        public void PrintsAndPasses()
        {
            Console.WriteLine("some output <with> markup & more");
        }
    }
}

namespace Text.Tests
{
    [TestFixture]
    public class UpperTests
    {
        [Test]
        public void Uppercases()
        {
            Assert.AreEqual("ABC", "abc".ToUpperInvariant());
        }

        [Test]
        public void TrimsWrong()
        {
            Assert.AreEqual("a b", " a  b ".Trim(), "inner <spaces> & all");
        }
    }
}
