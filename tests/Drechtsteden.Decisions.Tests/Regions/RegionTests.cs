using Drechtsteden.Decisions.Regions;

namespace Drechtsteden.Decisions.Tests.Regions;

public sealed class RegionTests
{
    [TestCase("GM0505", true)]
    [TestCase("GM482", false)]
    [TestCase("gm0505", false)]
    [TestCase("GMABCD", false)]
    [TestCase("", false)]
    public void Only_CBS_codes_are_municipality_codes(string code, bool valid) =>
        Assert.That(MunicipalityCode.IsValid(code), Is.EqualTo(valid));

    [Test]
    public void A_region_knows_its_members_once_each()
    {
        var region = new Region("drechtsteden", "Drechtsteden", ["GM0505", "GM0590", "GM0505"]);

        Assert.That(region.MemberCodes, Is.EqualTo(new[] { "GM0505", "GM0590" }));
        Assert.That(region.Includes("GM0590"), Is.True);
        Assert.That(region.Includes("GM0642"), Is.False);
    }

    [Test]
    public void A_region_refuses_a_member_that_is_not_a_CBS_code() =>
        Assert.Throws<ArgumentException>(() => _ = new Region("x", "X", ["Dordrecht"]));
}
