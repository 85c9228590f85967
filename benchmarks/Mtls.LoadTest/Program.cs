using ScottPlot;

var plot = new Plot();
plot.Add.Bars(new double[] { 1, 2, 3 });
plot.SavePng("/tmp/scottplot-probe.png", 400, 300);
Console.WriteLine("ok");
