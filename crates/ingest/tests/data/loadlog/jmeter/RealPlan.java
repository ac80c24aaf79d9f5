// A real JMeter run for gonogo's JTL fixtures, with the test plan built in code.
//
// Debian bookworm's JMeter 2.13 cannot load a .jmx plan (libxstream-java 1.4.20 refuses to
// unmarshal org.apache.jmeter.save.ScriptWrapper), so this program builds the same kind of plan
// with JMeter's own API and runs it with JMeter's own engine, samplers and result collector:
// the JTL it writes is JMeter's, byte for byte. See README.md in the parent folder for the
// exact commands.
//
//     java -cp CLASSPATH RealPlan csv|xml OUT.jtl [LOOPS]
//
// Target: the loopback nginx of ../nginx.conf (127.0.0.1:18919). Four threads each loop LOOPS
// times (default 15) over:
//   items                /items    200
//   missing              /missing  404, with a Response Assertion that the code equals 200:
//                                  success=false and a failure message over several lines
//   flaky, with a comma  /flaky    500 for about 10 % of requests (a label CSV must quote)
//   ok-asserted          /ok       200, with a Response Assertion that fails ("nope" is not in
//                                  the body): success=false with a failure message, code 200
//   moved                /moved    302 to /items, followed: JMeter records the redirect and the
//                                  followed request as sub-samples of one sample
// and a second thread group, one thread looping 3 times over 'refused' to 127.0.0.1:18929, where
// nothing listens: no HTTP response at all ("Non HTTP response code: ...").

import java.io.File;

import org.apache.jmeter.assertions.ResponseAssertion;
import org.apache.jmeter.config.Arguments;
import org.apache.jmeter.control.LoopController;
import org.apache.jmeter.engine.StandardJMeterEngine;
import org.apache.jmeter.protocol.http.sampler.HTTPSamplerProxy;
import org.apache.jmeter.reporters.ResultCollector;
import org.apache.jmeter.samplers.SampleSaveConfiguration;
import org.apache.jmeter.testelement.TestPlan;
import org.apache.jmeter.threads.ThreadGroup;
import org.apache.jmeter.util.JMeterUtils;
import org.apache.jorphan.collections.HashTree;
import org.apache.jorphan.collections.ListedHashTree;

public final class RealPlan {
    private static final String HOME = "/usr/share/jmeter";

    private static HTTPSamplerProxy get(String label, int port, String path) {
        HTTPSamplerProxy sampler = new HTTPSamplerProxy();
        sampler.setName(label);
        sampler.setDomain("127.0.0.1");
        sampler.setPort(port);
        sampler.setProtocol("http");
        sampler.setPath(path);
        sampler.setMethod("GET");
        sampler.setFollowRedirects(true);
        sampler.setUseKeepAlive(true);
        return sampler;
    }

    private static ThreadGroup group(String name, int threads, int loops) {
        LoopController loop = new LoopController();
        loop.setLoops(loops);
        loop.setFirst(true);
        loop.initialize();
        ThreadGroup group = new ThreadGroup();
        group.setName(name);
        group.setNumThreads(threads);
        group.setRampUp(1);
        group.setSamplerController(loop);
        return group;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || !(args[0].equals("csv") || args[0].equals("xml"))) {
            System.err.println("usage: RealPlan csv|xml OUT.jtl [LOOPS]");
            System.exit(2);
        }
        boolean xml = args[0].equals("xml");
        File out = new File(args[1]);
        int loops = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        if (out.exists() && !out.delete()) {
            throw new IllegalStateException("cannot replace " + out);
        }

        JMeterUtils.setJMeterHome(HOME);
        JMeterUtils.loadJMeterProperties(HOME + "/bin/jmeter.properties");
        JMeterUtils.initLogging();
        JMeterUtils.initLocale();

        HashTree samplers = new ListedHashTree();
        samplers.add(get("items", 18919, "/items"));
        ResponseAssertion code = new ResponseAssertion();
        code.setName("code is 200");
        code.setTestFieldResponseCode();
        code.setToEqualsType();
        code.addTestString("200");
        samplers.add(get("missing", 18919, "/missing"), code);
        samplers.add(get("flaky, with a comma", 18919, "/flaky"));
        HTTPSamplerProxy asserted = get("ok-asserted", 18919, "/ok");
        ResponseAssertion assertion = new ResponseAssertion();
        assertion.setName("body has nope");
        assertion.setTestFieldResponseData();
        assertion.setToContainsType();
        assertion.addTestString("nope");
        samplers.add(asserted, assertion);
        samplers.add(get("moved", 18919, "/moved"));
        ThreadGroup users = group("users", 4, loops);
        ThreadGroup refusers = group("refusers", 1, 3);

        TestPlan plan = new TestPlan("gonogo real JTL fixture");
        plan.setUserDefinedVariables(new Arguments());

        SampleSaveConfiguration save = new SampleSaveConfiguration();
        save.setAsXml(xml);
        save.setFieldNames(true);
        save.setUrl(true);
        save.setConnectTime(true);
        save.setIdleTime(true);
        save.setAssertionResultsFailureMessage(true);
        ResultCollector collector = new ResultCollector();
        collector.setName("jtl");
        collector.setFilename(out.getPath());
        collector.setSaveConfig(save);

        HashTree tree = new ListedHashTree();
        HashTree planTree = tree.add(plan);
        planTree.add(users).add(samplers);
        planTree.add(refusers).add(get("refused", 18929, "/"));
        planTree.add(collector);

        StandardJMeterEngine engine = new StandardJMeterEngine();
        engine.configure(tree);
        engine.run();
        System.out.println("JMeter " + JMeterUtils.getJMeterVersion() + " wrote " + out);
        System.exit(0);
    }
}
