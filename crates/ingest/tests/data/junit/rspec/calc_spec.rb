RSpec.describe "Calc" do
  it "adds" do
    expect(2 + 2).to eq(4)
  end

  it "adds wrong" do
    expect(2 + 2).to eq(5)
  end

  it "raises" do
    raise ArgumentError, "bad <argument> & more"
  end

  it "is pending and still fails" do
    pending("not fixed yet")
    expect(1).to eq(2)
  end

  it "is skipped" do
    skip "not on this platform"
  end

  xit "is disabled with xit" do
    expect(true).to be(true)
  end

  context "nested" do
    it "passes" do
      expect([1, 2]).to include(2)
    end
  end
end
