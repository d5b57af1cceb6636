namespace Formation.Identity;

/// <summary>
/// A client's outgoing grain call filter (form, the dashboard, tests): every call carries a proof made with the client's
/// credential. Whatever the client may have put under <see cref="CallerContext.Key"/> is ignored by the silo.
/// </summary>
public sealed class ProofCallFilter(ProofSigner signer) : IOutgoingGrainCallFilter
{
    /// <summary>How many calls were sent again with the certificate because a silo asked for it; for tests and benchmarks.</summary>
    public long CertificatesSent => Interlocked.Read(ref _sent);

    private long _sent;

    public Task Invoke(IOutgoingGrainCallContext context) => SendAsync(context, signer, null, () => Interlocked.Increment(ref _sent));

    /// <summary>
    /// Sends the call with a proof for <paramref name="onBehalfOf"/> (null: the credential's holder) that carries the
    /// certificate's fingerprint only; when the silo answers that it does not know the certificate (it restarted, or the
    /// call went to a silo that has not seen this credential), sends it once more with the certificate. The silo refused
    /// the first attempt before the grain ran, so sending it again repeats nothing.
    /// </summary>
    public static async Task SendAsync(IOutgoingGrainCallContext context, ProofSigner signer, Caller? onBehalfOf, Action? resent = null)
    {
        var proof = signer.Sign(onBehalfOf);
        RequestContext.Set(CallerProof.Key, proof);
        try
        {
            await context.Invoke();
            if (!CallerProof.AsksForCertificate(context.Response?.Exception))
            {
                return;
            }
        }
        catch (Exception ex) when (CallerProof.AsksForCertificate(ex))
        {
        }

        resent?.Invoke();
        RequestContext.Set(CallerProof.Key, signer.WithCertificate(proof));
        await context.Invoke();
    }
}
