namespace Demo;

/// <summary>Runs the demo's steps, each bounded in time, and prints one PASS/FAIL line with its explanation.</summary>
internal sealed class Transcript(TextWriter output)
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(5);
    private int _number;

    public int Failures { get; private set; }

    public void Note(string line) => output.WriteLine($"      {line}");

    /// <summary>Runs <paramref name="step"/>: it returns whether the behaviour was the expected one and why.</summary>
    public async Task StepAsync(string title, Func<CancellationToken, Task<(bool Passed, string Explanation)>> step)
    {
        _number++;
        using var timeout = new CancellationTokenSource(StepTimeout);
        (bool passed, string explanation) = (false, string.Empty);
        try
        {
            (passed, explanation) = await step(timeout.Token).WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            explanation = $"no answer within {StepTimeout.TotalSeconds:0} s";
        }
        catch (Exception e)
        {
            explanation = $"unexpected {e.GetType().Name}: {e.Message}";
        }

        if (!passed)
        {
            Failures++;
        }

        output.WriteLine($"{(passed ? "PASS" : "FAIL")}  {_number}. {title}");
        output.WriteLine($"      {explanation}");
    }
}
