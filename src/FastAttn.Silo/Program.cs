// A FastAttn host: an Orleans silo serving the models of its configuration, one worker grain per device.
// Configure with appsettings.json, environment variables (FastAttn__Cluster__Clustering=redis) or arguments:
//   fastattn-silo --FastAttn:Cluster:Clustering=redis --FastAttn:Cluster:Redis=redis:6379 \
//                 --FastAttn:Cluster:HostName=gpu-1 --FastAttn:Cluster:ResultStore=/mnt/results \
//                 --FastAttn:Models:dit-xl-256:Path=/models/DiT-XL-2-256x256.pt --FastAttn:Cluster:Devices:0=cuda
using FastAttn.Cluster.Hosting;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.AddFastAttnSilo();
await builder.Build().RunAsync();
