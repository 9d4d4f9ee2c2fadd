namespace Drechtsteden.Decisions.Regions;

/// <summary>A municipality and its college of B&amp;W, identified by its CBS code (e.g. GM0505 for Dordrecht).</summary>
public sealed class Municipality
{
    private Municipality()
    {
        Code = "";
        Name = "";
    }

    public Municipality(string code, string name, DayOfWeek usualMeetingDay = DayOfWeek.Tuesday)
    {
        Code = MunicipalityCode.Parse(code);
        Name = string.IsNullOrWhiteSpace(name) ? throw new ArgumentException("A municipality needs a name.", nameof(name)) : name.Trim();
        UsualMeetingDay = usualMeetingDay;
    }

    public string Code { get; private set; }

    public string Name { get; private set; }

    /// <summary>The weekday on which the college usually meets; used to generate its calendar.</summary>
    public DayOfWeek UsualMeetingDay { get; private set; }
}

public static class MunicipalityCode
{
    /// <summary>CBS municipality codes are "GM" followed by four digits.</summary>
    public static bool IsValid(string? code) =>
        code is { Length: 6 } && code.StartsWith("GM", StringComparison.Ordinal) && code[2..].All(char.IsAsciiDigit);

    public static string Parse(string code) =>
        IsValid(code) ? code : throw new ArgumentException($"'{code}' is not a CBS municipality code (GM followed by four digits).", nameof(code));
}

/// <summary>
/// The RSIN (Rechtspersonen en Samenwerkingsverbanden Informatienummer) of a municipality: nine digits that pass the
/// 11-proef (9·d1 + 8·d2 + … + 2·d8 − d9 is a multiple of 11). The product never makes one up: they come from
/// configuration.
/// </summary>
public static class Rsin
{
    public static bool IsValid(string? rsin)
    {
        if (rsin is not { Length: 9 } || !rsin.All(char.IsAsciiDigit))
            return false;
        var sum = 0;
        for (var i = 0; i < 8; i++)
            sum += (rsin[i] - '0') * (9 - i);
        sum -= rsin[8] - '0';
        return sum % 11 == 0 && rsin != "000000000";
    }
}
