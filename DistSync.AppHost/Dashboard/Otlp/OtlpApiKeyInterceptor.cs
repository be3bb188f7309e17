using Grpc.Core;
using Grpc.Core.Interceptors;

namespace DistSync.AppHost.Dashboard.Otlp;

/// <summary>Refuses gRPC exports without the right x-otlp-api-key metadata with Unauthenticated.</summary>
internal sealed class OtlpApiKeyInterceptor(OtlpApiKey apiKey) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request,
        ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (!apiKey.IsValid(context.RequestHeaders.GetValue(OtlpApiKey.HeaderName)))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"Missing or wrong {OtlpApiKey.HeaderName}."));
        }

        return continuation(request, context);
    }
}
