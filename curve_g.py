import csv, math, sys, json
sys.path.insert(0,'.')
from c import post
port=int(sys.argv[1])
rows=list(csv.DictReader(open('/tmp/audit62/main/models/demo.holdout.csv')))
leads={r['lead_id']:r for r in csv.DictReader(open('/tmp/audit62/main/data/demo/leads.csv'))}
by={}
for r in rows: by.setdefault(r['lead_id'],[]).append(r)
for k in by: by[k].sort(key=lambda r:r['as_of'])
held={}
for k,v in by.items():
    l=dict(leads[k]); l.pop('lead_id')
    c,s=post('/v1/score?factors=0&as_of='+v[0]['as_of'],l,port=port)
    held[k]=bool(s.get('held_back_by'))
N=len(by); P=sum(1 for k,v in by.items() if any(r['label']=='1' for r in v))
scores=sorted(set(float(r['score']) for r in rows), reverse=True)
def at(t):
    sel=tp=0
    for k,v in by.items():
        if held[k]: continue
        for r in v:
            if float(r['score'])>=t:
                sel+=1; tp+= r['label']=='1'; break
    return sel,tp
def lb(tp,n,z=1.6448536269514722):
    p=tp/n; d=1+z*z/n; c=p+z*z/(2*n); a=z*math.sqrt(p*(1-p)/n+z*z/(4*n*n)); return (c-a)/d
# fixed sequence: walk thresholds from strictest down; skip sel<30; stop at first lb<target
target=0.5; last=None
# efficient: compute first-crossing score per lead = max score reached before... first crossing of t = exists score>=t; label at first row with score>=t
for t in scores:
    s,tp=at(t) if False else (None,None)
    break
# do properly with per-lead sorted lists
import bisect
pts=[]
for t in scores[:]:
    pass
